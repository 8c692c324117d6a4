package relay.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import relay.core.mail.QueueId;
import relay.core.testing.Loopback;
import relay.core.testing.MiniDns;
import relay.core.testing.MutableClock;
import relay.core.testing.TestMx;
import relay.core.testing.TestPki;
import relay.queue.QueueStore;

/**
 * RFC 8461 through the whole relay, as the jar wires it: a client submits over SMTP; the relay
 * finds {@code example.test}'s MX hosts and {@code _mta-sts} record through a wire-format DNS
 * server, fetches the policy from an HTTPS policy host, and delivers (or does not) to receiving
 * MX hosts with a throwaway CA. One test per scenario of the issue.
 */
class MtaStsRelayIT {

    private static final String ENFORCE_MX1 = policy("enforce", "mx1.example.test");

    @TempDir
    Path dir;

    private final TestPki pki = TestPki.create("MTA-STS Relay Test CA");
    /**
     * Whole milliseconds: the clock stands still, and H2 rounds a nanosecond timestamp to its
     * column's microseconds, which can put a message's due time a hair after "now" for ever.
     */
    private final MutableClock clock = new MutableClock(Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS));
    private final AtomicReference<String> policy = new AtomicReference<>(ENFORCE_MX1);
    private final AtomicInteger fetches = new AtomicInteger();
    private final List<AutoCloseable> open = new ArrayList<>();
    private HttpsServer policyHost;
    private MiniDns dns;
    private int mxPort;
    private Relay relay;

    private static String policy(String mode, String... mx) {
        StringBuilder b = new StringBuilder("version: STSv1\nmode: ").append(mode).append('\n');
        for (String m : mx) {
            b.append("mx: ").append(m).append('\n');
        }
        return b.append("max_age: 86400\n").toString();
    }

    /** MX 10 mx1 (127.0.0.2), MX 20 mx2 (127.0.0.3), the STS record with this id, cached an hour. */
    private static String zone(String id, String mx) {
        return mx + "\nmx1 A 127.0.0.2\nmx2 A 127.0.0.3\n_mta-sts 3600 TXT \"v=STSv1; id=" + id + "\"\n"
                + "mta-sts A 127.0.0.1\n";
    }

    @BeforeEach
    void peers() throws Exception {
        mxPort = Loopback.commonFreePort(List.of(Loopback.host(2), Loopback.host(3)));
        dns = Loopback.retryingBind(() -> MiniDns.start("example.test", zone("1", "@ MX 10 mx1")));
        policyHost = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 50);
        policyHost.setHttpsConfigurator(new HttpsConfigurator(pki.issue("mta-sts.example.test").serverContext()));
        policyHost.setExecutor(Executors.newCachedThreadPool());
        policyHost.createContext("/.well-known/mta-sts.txt", exchange -> {
            fetches.incrementAndGet();
            byte[] b = policy.get().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain");
            exchange.sendResponseHeaders(200, b.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(b);
            }
        });
        policyHost.start();
    }

    private void startRelay(String... extraYaml) throws Exception {
        Path ca = pki.writeCaPem(dir.resolve("ca.pem"));
        List<String> lines = TestConfigs.relay(dir, dns, mxPort, ca);
        lines.addAll(List.of(
                "  dead-host-memory: 0s",
                "queue:",
                "  poll-interval: 100ms",
                "  lifetime: 1h",
                "  first-retry: 1m",
                "  max-retry: 10m",
                "mta-sts:",
                "  https-port: " + policyHost.getAddress().getPort(),
                "  connect-timeout: 2s",
                "  fetch-timeout: 5s"));
        lines.addAll(List.of(extraYaml));
        Path config = dir.resolve("relay.yaml");
        Files.writeString(config, String.join("\n", lines) + "\n");
        relay = Relay.start(new ConfigLoader(Map.of()).load(Optional.of(config)), Optional.empty(), clock);
    }

    private TestMx mx(int n, java.util.function.UnaryOperator<TestMx.Builder> tls) {
        TestMx.Builder b = TestMx.on(Loopback.host(n + 1), mxPort).hostName("mx" + n + ".example.test");
        TestMx mx = tls.apply(b).start();
        open.add(mx);
        return mx;
    }

    private TestMx validMx(int n) {
        return mx(n, b -> b.tls(pki.issue("mx" + n + ".example.test").serverContext()));
    }

    @AfterEach
    void stop() throws Exception {
        if (relay != null) {
            relay.close();
        }
        for (AutoCloseable c : open) {
            c.close();
        }
        policyHost.stop(0);
        dns.close();
    }

    /** Submits one message from {@code sender} to bob@example.test; returns its queue id. */
    private QueueId submit(String sender) throws IOException {
        return submit(sender, "Subject: sts\r\n\r\nHello Bob.\r\n.\r\n");
    }

    private QueueId submit(String sender, String data) throws IOException {
        try (SmtpClient c = new SmtpClient("127.0.0.1", relay.smtpPort())) {
            SmtpClient.expect(c.reply(), "220");
            SmtpClient.expect(c.send("EHLO app.example.test"), "250");
            SmtpClient.expect(c.send("MAIL FROM:<" + sender + ">"), "250");
            SmtpClient.expect(c.send("RCPT TO:<bob@example.test>"), "250");
            SmtpClient.expect(c.send("DATA"), "354");
            c.write(data);
            String reply = c.reply();
            assertThat(reply).startsWith("250 2.0.0 Ok: queued as ");
            return new QueueId(reply.substring(reply.lastIndexOf(' ') + 1).strip());
        }
    }

    private QueueId submit() throws IOException {
        return submit("alice@[127.0.0.3]");
    }

    /** Waits for the first attempt to end deferred, and returns the recipient as the queue holds it. */
    private QueueStore.RecipientView deferred(QueueId id) {
        await().atMost(Duration.ofSeconds(20)).until(() -> relay.queue().recipients(id).stream()
                .anyMatch(r -> r.state().equals("DEFERRED")));
        try {
            return relay.queue().recipients(id).get(0);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private void awaitGone(QueueId id) {
        await().atMost(Duration.ofSeconds(20)).until(() -> relay.queue().recipients(id).isEmpty());
    }

    /** RFC 8461 §4 and §5: a listed MX with a valid certificate gets the mail inside TLS. */
    @Test
    void enforceDeliversOverVerifiedTlsToAListedMx() throws Exception {
        TestMx mx1 = validMx(1);
        startRelay();

        QueueId id = submit();

        await().atMost(Duration.ofSeconds(20)).until(() -> mx1.received().size() == 1);
        assertThat(mx1.received().get(0).tls()).isTrue();
        awaitGone(id);
        assertThat(fetches).hasValue(1);
    }

    /** STS-58, STS-54: a certificate that does not name the MX: QUIT after the handshake, nothing sent, deferred. */
    @Test
    void enforceDefersWhenTheCertificateNamesAnotherHost() throws Exception {
        TestMx mx1 = mx(1, b -> b.tls(pki.issue("other.example.test").serverContext()));
        startRelay();

        QueueStore.RecipientView r = deferred(submit());

        assertThat(r.lastStatus()).contains("4.7.5");
        assertThat(r.lastDiagnostic()).hasValueSatisfying(d -> assertThat(d)
                .startsWith("MTA-STS: certificate name mismatch").contains("mx1.example.test"));
        assertThat(mx1.mailCommands()).isZero();
    }

    /** STS-58, STS-66: an MX the policy does not list is unreachable; the walk goes on to a listed one. */
    @Test
    void enforceSkipsAnMxThePolicyDoesNotListAndUsesTheNextOne() throws Exception {
        dns.setZone(zone("1", "@ MX 10 mx2\n@ MX 20 mx1"));
        TestMx mx2 = validMx(2);
        TestMx mx1 = validMx(1);
        startRelay();

        QueueId id = submit("alice@example.test");

        await().atMost(Duration.ofSeconds(20)).until(() -> mx1.received().size() == 1);
        awaitGone(id);
        assertThat(mx2.connections()).as("the unlisted MX is never contacted").isZero();
    }

    /** STS-58 and DSN-10: no listed MX at all defers, with no Remote-MTA because nobody was contacted. */
    @Test
    void enforceDefersWhenNoMxIsListed() throws Exception {
        policy.set(policy("enforce", "mx9.example.test"));
        TestMx mx1 = validMx(1);
        startRelay();

        QueueStore.RecipientView r = deferred(submit());

        assertThat(r.lastStatus()).contains("4.7.5");
        assertThat(r.lastDiagnostic()).hasValueSatisfying(d -> assertThat(d).contains("MTA-STS: MX mx1.example.test is not listed"));
        assertThat(r.remoteMta()).isEmpty();
        assertThat(mx1.connections()).isZero();
    }

    /** STS-58: no STARTTLS offered: QUIT, no MAIL FROM, deferred. */
    @Test
    void enforceDefersWhenTheMxOffersNoStartTls() throws Exception {
        TestMx mx1 = mx(1, b -> b);
        startRelay();

        QueueStore.RecipientView r = deferred(submit());

        assertThat(r.lastStatus()).contains("4.7.10");
        assertThat(r.lastDiagnostic()).hasValueSatisfying(d -> assertThat(d).contains("MTA-STS").contains("STARTTLS"));
        assertThat(mx1.mailCommands()).isZero();
    }

    /** STS-59: testing delivers as without a policy, whatever the certificate. */
    @Test
    void testingDeliversDespiteAnUntrustedCertificate() throws Exception {
        policy.set(policy("testing", "mx1.example.test"));
        TestMx mx1 = mx(1, b -> b.tls(TestPki.create("Unknown CA").issue("mx1.example.test").serverContext()));
        startRelay();

        QueueId id = submit();

        await().atMost(Duration.ofSeconds(20)).until(() -> mx1.received().size() == 1);
        awaitGone(id);
    }

    /**
     * RFC 8689 §5 (RTLS-13, RTLS-14): a message that says TLS-Required: No goes despite the
     * enforce policy (over TLS when offered, the certificate unchecked) and is not counted as a
     * policy failure.
     */
    @Test
    void aMessageWithTlsRequiredNoIsDeliveredDespiteTheEnforcePolicy() throws Exception {
        TestMx mx1 = mx(1, b -> b.tls(pki.issue("other.example.test").serverContext()));
        startRelay();

        QueueId id = submit("alice@[127.0.0.3]", "TLS-Required: No\r\nSubject: sts\r\n\r\nHello Bob.\r\n.\r\n");

        await().atMost(Duration.ofSeconds(20)).until(() -> mx1.received().size() == 1);
        assertThat(mx1.received().get(0).tls()).as("STARTTLS still used when offered").isTrue();
        assertThat(mx1.received().get(0).text()).contains("TLS-Required: No");
        awaitGone(id);
    }

    /** Per-domain override: skip a broken domain's policy (logged as a warning at start-up). */
    @Test
    void anOverrideSkipsABrokenDomainsPolicy() throws Exception {
        TestMx mx1 = mx(1, b -> b.tls(pki.issue("other.example.test").serverContext()));
        startRelay("  overrides: {example.test: skip}");

        QueueId id = submit();

        await().atMost(Duration.ofSeconds(20)).until(() -> mx1.received().size() == 1);
        awaitGone(id);
        assertThat(fetches).as("a skipped domain's policy is not even fetched").hasValue(0);
    }

    /** A warm cache: the second message to the domain makes no HTTPS request (RFC 8461 §3.3, §5.1). */
    @Test
    void aCachedPolicyServesTheNextMessagesWithoutAFetch() throws Exception {
        TestMx mx1 = validMx(1);
        startRelay();

        submit();
        await().atMost(Duration.ofSeconds(20)).until(() -> mx1.received().size() == 1);
        submit();
        await().atMost(Duration.ofSeconds(20)).until(() -> mx1.received().size() == 2);

        assertThat(fetches).hasValue(1);
        // and the metrics say so: one fetch, then a cache hit
        String metrics = new String(new java.net.URL("http://127.0.0.1:" + relay.adminPort() + "/metrics").openStream()
                .readAllBytes(), StandardCharsets.UTF_8);
        assertThat(metrics).contains("relay_mta_sts_fetches_total{outcome=\"ok\"} 1.0")
                .contains("relay_mta_sts_lookups_total{result=\"fetched\"} 1.0")
                .contains("relay_mta_sts_lookups_total{result=\"cache-hit\"} 1.0");
    }

    /**
     * RFC 8461 §5.1 (STS-61): the domain fixes its policy (new id, the right MX) just before the
     * message would bounce; the relay's cached DNS answer still shows the old id, but the last
     * attempt re-checks past the cache, fetches the new policy and delivers under it.
     */
    @Test
    void aPolicyFixedJustBeforeTheBounceIsFoundAndTheMessageDelivered() throws Exception {
        policy.set(policy("enforce", "mx9.example.test"));
        TestMx mx1 = validMx(1);
        TestMx senders = mx(2, b -> b);
        startRelay();
        QueueId id = submit();
        deferred(id);

        dns.setZone(zone("2", "@ MX 10 mx1"));
        policy.set(ENFORCE_MX1);
        clock.advance(Duration.ofHours(1));

        await().atMost(Duration.ofSeconds(20)).until(() -> mx1.received().size() == 1);
        awaitGone(id);
        assertThat(mx1.received().get(0).tls()).isTrue();
        assertThat(senders.received()).as("no bounce").isEmpty();
        assertThat(fetches).hasValue(2);
    }

    /** STS-65 and STS-67: id unchanged, so the message bounces with a 5.7.x status that names MTA-STS. */
    @Test
    void anUnchangedPolicyBouncesAtTheExpiryWithAnMtaStsStatus() throws Exception {
        policy.set(policy("enforce", "mx9.example.test"));
        validMx(1);
        TestMx senders = mx(2, b -> b);
        startRelay();
        QueueId id = submit();
        deferred(id);

        clock.advance(Duration.ofHours(1));

        await().atMost(Duration.ofSeconds(20)).until(() -> senders.received().size() == 1);
        awaitGone(id);
        assertThat(senders.received().get(0).text())
                .contains("Action: failed")
                .contains("Status: 5.7.5")
                .contains("MTA-STS: MX mx1.example.test is not listed in the policy")
                .doesNotContain("Remote-MTA");
    }
}
