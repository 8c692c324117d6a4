package relay.sts.source;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.TrustAnchor;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import relay.core.delivery.DeliveryRequest;
import relay.core.delivery.Outcome;
import relay.core.delivery.RecipientOutcome;
import relay.core.dns.Dns;
import relay.core.dns.DnsSettings;
import relay.core.dns.MxResolver;
import relay.core.mail.Domain;
import relay.core.mail.Envelope;
import relay.core.mail.MailAddress;
import relay.core.mail.QueueId;
import relay.core.outbound.OutboundSettings;
import relay.core.outbound.SmtpDeliveryAgent;
import relay.core.outbound.SmtpTimeouts;
import relay.core.testing.BytesMessage;
import relay.core.testing.Loopback;
import relay.core.testing.MiniDns;
import relay.core.testing.MutableClock;
import relay.core.testing.TestMx;
import relay.core.testing.TestPki;
import relay.core.tls.CertificateVerifier;
import relay.sts.cache.PolicyStore;
import relay.sts.cache.StsSchema;
import relay.sts.fetch.FetchSettings;
import relay.sts.fetch.PolicyFetcher;
import relay.sts.record.StsDiscovery;

/**
 * The policy-host and TXT scenarios of issue 4, each through the whole delivery path: a
 * wire-format DNS server, an HTTPS policy host, the H2 policy cache, {@link StsPolicySource} and
 * the SMTP delivery agent, and a receiving MX whose certificate comes from a CA the relay does not
 * trust (the MX an attacker in the path would present). Without a policy in force the mail goes
 * to it over opportunistic TLS; under {@code enforce} (mx1 listed) it must be deferred with an
 * MTA-STS status and never reach MAIL FROM.
 */
class StsDeliveryScenariosIT {

    private static final Domain DOMAIN = Domain.parse("example.test");
    private static final InetAddress MX1 = Loopback.host(2);
    private static final String ENFORCE = "version: STSv1\nmode: enforce\nmx: mx1.example.test\nmax_age: 86400\n";
    private static final String BODY = "From: alice@sender.test\r\nTo: bob@example.test\r\nSubject: sts\r\n\r\nhello\r\n";

    /** How the policy host answers. */
    enum Answer {
        POLICY, REDIRECT, NOT_FOUND, WRONG_MEDIA_TYPE, TEN_MEGABYTES, SLOW
    }

    @TempDir
    Path dir;

    private final TestPki pki = TestPki.create("STS Scenario CA");
    private final MutableClock clock = new MutableClock(Instant.now());
    private final AtomicReference<Answer> answer = new AtomicReference<>(Answer.POLICY);
    private final AtomicInteger requests = new AtomicInteger();
    private final CountDownLatch release = new CountDownLatch(1);
    private final List<AutoCloseable> open = new ArrayList<>();
    private HttpsServer policyHost;
    private MiniDns dns;
    private EventLoopGroup group;
    private int port;

    @BeforeEach
    void start() throws IOException {
        dns = Loopback.retryingBind(() -> MiniDns.start("example.test", zone("A")));
        port = Loopback.commonFreePort(List.of(MX1));
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        policyHost = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 50);
        policyHost.setHttpsConfigurator(new HttpsConfigurator(pki.issue("mta-sts.example.test").serverContext()));
        policyHost.setExecutor(Executors.newCachedThreadPool());
        policyHost.createContext("/", exchange -> {
            requests.incrementAndGet();
            Answer a = answer.get();
            int status = switch (a) {
                case REDIRECT -> 301;
                case NOT_FOUND -> 404;
                default -> 200;
            };
            byte[] body = a == Answer.TEN_MEGABYTES ? new byte[10 * 1024 * 1024]
                    : (a == Answer.WRONG_MEDIA_TYPE ? "<html>" + ENFORCE : ENFORCE).getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", a == Answer.WRONG_MEDIA_TYPE ? "text/html" : "text/plain");
            if (a == Answer.REDIRECT) {
                exchange.getResponseHeaders().set("Location", "https://mta-sts.example.test/elsewhere.txt");
            }
            if (a == Answer.SLOW) {
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            try {
                exchange.sendResponseHeaders(status, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            } catch (IOException e) {
                // the relay hung up on an answer it did not want
            }
        });
        policyHost.start();
    }

    @AfterEach
    void stop() {
        release.countDown();
        for (int i = open.size() - 1; i >= 0; i--) {
            try {
                open.get(i).close();
            } catch (Exception ignored) {
                // best effort
            }
        }
        policyHost.stop(0);
        dns.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    /** MX 10 mx1 (127.0.0.2), one STS record with this id (TTL 0), the policy host at 127.0.0.1. */
    private static String zone(String id) {
        return "@ MX 10 mx1\nmx1 A 127.0.0.2\n_mta-sts 0 TXT \"v=STSv1; id=" + id + "\"\nmta-sts A 127.0.0.1\n";
    }

    private Dns resolver() {
        return new Dns(new DnsSettings(List.of(dns.address()), Duration.ofMillis(500)));
    }

    private JdbcDataSource db() {
        JdbcDataSource ds = new JdbcDataSource();
        ds.setURL("jdbc:h2:file:" + dir.resolve("relay") + ";DB_CLOSE_ON_EXIT=FALSE");
        StsSchema.migrate(ds);
        return ds;
    }

    /** A fresh policy source over the database in {@code dir}: a restart keeps the cache. */
    private StsPolicySource source() {
        CertificateVerifier verifier = new CertificateVerifier(Set.of(new TrustAnchor(pki.caCertificate(), null)),
                Clock.systemUTC());
        PolicyFetcher fetcher = new PolicyFetcher(resolver(), verifier, group, new FetchSettings(
                policyHost.getAddress().getPort(), Duration.ofMillis(500), Duration.ofSeconds(1), FetchSettings.RFC_MAX_BYTES));
        return new StsPolicySource(new StsDiscovery(resolver()), () -> new StsDiscovery(resolver()), fetcher::fetch,
                new PolicyStore(db()), clock, new Random(8461));
    }

    private SmtpDeliveryAgent agent(StsPolicySource source) {
        Duration s = Duration.ofSeconds(5);
        OutboundSettings settings = new OutboundSettings("relay.example.test", port,
                new SmtpTimeouts(Duration.ofSeconds(1), s, s, s, s, s), 5, Duration.ofMinutes(10), Duration.ofMinutes(1),
                2, 4, List.of());
        Dns resolver = resolver();
        SmtpDeliveryAgent agent = new SmtpDeliveryAgent(settings, resolver, new MxResolver(resolver, new Random(5321)),
                source, new CertificateVerifier(Set.of(new TrustAnchor(pki.caCertificate(), null)), Clock.systemUTC()),
                Clock.systemUTC());
        open.add(agent);
        return agent;
    }

    private Outcome deliver(StsPolicySource source) {
        MailAddress rcpt = MailAddress.parse("bob@example.test", false);
        Envelope envelope = new Envelope(Optional.of(MailAddress.parse("alice@sender.test", false)), List.of(rcpt), false,
                false);
        List<RecipientOutcome> outcomes = agent(source).deliver(new DeliveryRequest(
                QueueId.generate(clock.instant(), new Random(1)), envelope, DOMAIN, List.of(rcpt), BytesMessage.of(BODY), 1));
        assertThat(outcomes).hasSize(1);
        return outcomes.get(0).outcome();
    }

    /** mx1.example.test with a certificate from a CA the relay does not trust. */
    private TestMx untrustedMx() {
        return mx(TestPki.create("Attacker CA").issue("mx1.example.test").serverContext());
    }

    private TestMx mx(SSLContext tls) {
        TestMx mx = TestMx.on(MX1, port).hostName("mx1.example.test").tls(tls).start();
        open.add(mx);
        return mx;
    }

    private static void assertEnforced(Outcome o, TestMx mx) {
        assertThat(o).isInstanceOf(Outcome.Deferred.class);
        assertThat(o.status()).isEqualTo("4.7.5");
        assertThat(o.diagnostic()).startsWith("MTA-STS: ").contains("mx1.example.test");
        assertThat(mx.mailCommands()).as("no MAIL FROM to an MX that fails the policy").isZero();
    }

    private static void assertDeliveredWithoutPolicy(Outcome o, TestMx mx) {
        assertThat(o).isInstanceOf(Outcome.Delivered.class);
        assertThat(mx.received()).singleElement().satisfies(r -> assertThat(r.tls()).isTrue());
    }

    /** The control: the policy fetched, and the listed MX with a trusted certificate gets the mail. */
    @Test
    void enforceDeliversToTheListedMxWithATrustedCertificate() {
        TestMx mx = mx(pki.issue("mx1.example.test").serverContext());

        Outcome o = deliver(source());

        assertThat(o).isInstanceOf(Outcome.Delivered.class);
        assertThat(mx.received()).singleElement().satisfies(r -> assertThat(r.tls()).isTrue());
        assertThat(requests.get()).isEqualTo(1);
    }

    /** ...and the same MX with an untrusted certificate is refused. */
    @Test
    void enforceDefersAnMxWithAnUntrustedCertificate() {
        TestMx mx = untrustedMx();

        assertEnforced(deliver(source()), mx);
    }

    // RFC 8461 §3.3 (STS-17, -18, -12, -21) and STS-23: redirect, 404, wrong media type, 10 MB body, slow
    // server: no policy, so with nothing cached the mail goes as if the domain had no MTA-STS
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = Answer.class, names = {"REDIRECT", "NOT_FOUND", "WRONG_MEDIA_TYPE", "TEN_MEGABYTES", "SLOW"})
    void aFailedFetchWithNothingCachedDeliversAsWithoutMtaSts(Answer failure) {
        answer.set(failure);
        TestMx mx = untrustedMx();
        StsPolicySource source = source();

        assertDeliveredWithoutPolicy(deliver(source), mx);
        assertThat(source.current(DOMAIN)).isEmpty();
        assertThat(requests.get()).as("one request, no redirect followed").isEqualTo(1);
    }

    // STS-24 and issue 4 "id changed with fetch failing": the same failures for a new id leave the
    // valid cached enforce policy in force
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = Answer.class, names = {"REDIRECT", "NOT_FOUND", "WRONG_MEDIA_TYPE", "TEN_MEGABYTES", "SLOW"})
    void aFailedFetchForANewIdKeepsTheCachedPolicy(Answer failure) throws IOException {
        TestMx mx = untrustedMx();
        StsPolicySource source = source();
        assertEnforced(deliver(source), mx);
        dns.setZone(zone("B"));
        answer.set(failure);

        assertEnforced(deliver(source), mx);
        assertThat(source.current(DOMAIN)).get().extracting(c -> c.policyId()).isEqualTo("A");
        assertThat(requests.get()).isEqualTo(2);
    }

    // RFC 8461 §3.1 (STS-06): two STS records are no policy: nothing is fetched, the mail goes without MTA-STS
    @Test
    void multipleTxtRecordsAreNoPolicy() throws IOException {
        dns.setZone("@ MX 10 mx1\nmx1 A 127.0.0.2\n_mta-sts 0 TXT \"v=STSv1; id=A\"\n_mta-sts 0 TXT \"v=STSv1; id=B\"\n"
                + "mta-sts A 127.0.0.1\n");
        TestMx mx = untrustedMx();

        assertDeliveredWithoutPolicy(deliver(source()), mx);
        assertThat(requests.get()).isZero();
    }

    // RFC 8461 §3.1 and §5.1 (STS-07): the TXT record removed, the valid cached policy still applies
    @Test
    void txtRemovedWithAValidCachedPolicyKeepsEnforcing() throws IOException {
        TestMx mx = untrustedMx();
        StsPolicySource source = source();
        assertEnforced(deliver(source), mx);
        dns.setZone("@ MX 10 mx1\nmx1 A 127.0.0.2\nmta-sts A 127.0.0.1\n");
        clock.advance(Duration.ofHours(20));

        assertEnforced(deliver(source), mx);
        assertThat(requests.get()).isEqualTo(1);
    }

    // RFC 8461 §3.3 (STS-24): a restart with the policy in the database and neither DNS for the policy
    // nor the policy host reachable: the cached policy applies
    @Test
    void restartWithACachedPolicyAndNoNetworkKeepsEnforcing() {
        TestMx mx = untrustedMx();
        assertEnforced(deliver(source()), mx);
        dns.servfail("_mta-sts");
        dns.servfail("mta-sts");
        policyHost.stop(0);
        clock.advance(Duration.ofHours(1));

        assertEnforced(deliver(source()), mx);
        assertThat(requests.get()).isEqualTo(1);
    }
}
