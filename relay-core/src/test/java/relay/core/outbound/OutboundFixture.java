package relay.core.outbound;

import java.io.IOException;
import java.net.InetAddress;
import java.security.cert.TrustAnchor;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.stream.IntStream;
import relay.core.delivery.DeliveryRequest;
import relay.core.delivery.MessageSource;
import relay.core.delivery.Outcome;
import relay.core.delivery.RecipientOutcome;
import relay.core.dns.Dns;
import relay.core.dns.DnsSettings;
import relay.core.dns.MxResolver;
import relay.core.mail.Domain;
import relay.core.mail.Envelope;
import relay.core.mail.MailAddress;
import relay.core.mail.QueueId;
import relay.core.policy.TlsPolicySource;
import relay.core.policy.TlsRequirement;
import relay.core.policy.TransportPolicy;
import relay.core.testing.BytesMessage;
import relay.core.testing.Loopback;
import relay.core.testing.MiniDns;
import relay.core.testing.MutableClock;
import relay.core.testing.ScriptedSmtpServer;
import relay.core.testing.TestMx;
import relay.core.testing.TestPki;
import relay.core.tls.CertificateVerifier;

/**
 * One outbound world per test: MiniDns serving {@code example.test}, MX hosts on 127.0.0.2 and up
 * (all on one port number, as MX hosts share port 25 in real life), a throwaway CA the agent
 * trusts, a clock the test can move, and the agent itself. Closing it closes everything.
 */
final class OutboundFixture implements AutoCloseable {

    static final String ZONE = "example.test";
    /** The MX addresses: {@code MX[1]} is 127.0.0.2, {@code MX[2]} 127.0.0.3, ... */
    static final InetAddress[] MX = IntStream.rangeClosed(0, 8).mapToObj(i -> i == 0 ? null : Loopback.host(i + 1))
            .toArray(InetAddress[]::new);
    static final String BODY = "From: alice@sender.test\r\nTo: bob@example.test\r\nSubject: outbound\r\n\r\n"
            + "first line\r\n.a line that starts with a dot\r\n..two dots\r\n.\r\n \r\n"
            + "a line that has a dot\r\n.\r\n\r\nlast line\r\n";

    final TestPki pki = TestPki.create("Outbound Test CA");
    final MutableClock clock = new MutableClock(Instant.now());
    final MiniDns dns;
    final int port;
    private final List<AutoCloseable> open = Collections.synchronizedList(new ArrayList<>());
    private final Random random = new Random(5321);

    OutboundFixture() throws IOException {
        this.dns = Loopback.retryingBind(() -> MiniDns.start(ZONE, ""));
        open.add(dns);
        this.port = Loopback.commonFreePort(Arrays.asList(MX).subList(1, MX.length));
    }

    /** Replaces the zone (names relative to example.test). Call before creating the agent: the agent's resolver caches. */
    void zone(String text) throws IOException {
        dns.setZone(text);
    }

    /** The usual zone: mx1 (pref 10) at 127.0.0.2 and mx2 (pref 20) at 127.0.0.3. */
    void twoMx() throws IOException {
        zone("""
                @ MX 10 mx1
                @ MX 20 mx2
                mx1 A 127.0.0.2
                mx2 A 127.0.0.3
                """);
    }

    static SmtpTimeouts timeouts() {
        Duration s = Duration.ofSeconds(5);
        return new SmtpTimeouts(Duration.ofSeconds(1), s, s, s, s, s);
    }

    OutboundSettings settings(List<Route> routes) {
        return new OutboundSettings("relay.example.test", port, timeouts(), 5, Duration.ofMinutes(10),
                Duration.ofMinutes(1), 2, 4, routes);
    }

    SmtpDeliveryAgent agent(TlsPolicySource policies) {
        return agent(policies, List.of());
    }

    SmtpDeliveryAgent agent(TlsPolicySource policies, List<Route> routes) {
        return agent(policies, routes, relay.core.report.TlsReportRecorder.none());
    }

    SmtpDeliveryAgent agent(TlsPolicySource policies, List<Route> routes, relay.core.report.TlsReportRecorder reports) {
        Dns resolver = new Dns(new DnsSettings(List.of(dns.address()), Duration.ofSeconds(1)));
        SmtpDeliveryAgent agent = new SmtpDeliveryAgent(settings(routes), resolver, new MxResolver(resolver, new Random(7505)),
                policies, reports, new CertificateVerifier(Set.of(new TrustAnchor(pki.caCertificate(), null)), clock), clock);
        open.add(agent);
        return agent;
    }

    /** A policy source that demands verified TLS for every domain (as MTA-STS enforce does). */
    static TlsPolicySource verified() {
        return domain -> new TransportPolicy(TlsRequirement.VERIFIED, mx -> true, "test");
    }

    /** A SubEtha MX on {@code MX[n]}, started with the given settings, closed with the fixture. */
    TestMx mx(int n, java.util.function.UnaryOperator<TestMx.Builder> settings) {
        TestMx mx = settings.apply(TestMx.on(MX[n], port).hostName("mx" + n + "." + ZONE)).start();
        open.add(mx);
        return mx;
    }

    /** A SubEtha MX on {@code MX[n]} offering STARTTLS with a trusted certificate for {@code mx<n>.example.test}. */
    TestMx tlsMx(int n) {
        return mx(n, b -> b.tls(pki.issue("mx" + n + "." + ZONE).serverContext()));
    }

    ScriptedSmtpServer scripted(int n, java.util.function.UnaryOperator<ScriptedSmtpServer.Builder> settings) throws IOException {
        ScriptedSmtpServer s = settings.apply(ScriptedSmtpServer.on(MX[n], port).hostName("mx" + n + "." + ZONE)).start();
        open.add(s);
        return s;
    }

    DeliveryRequest request(String... recipients) {
        return request(BytesMessage.of(BODY), false, "alice@sender.test", recipients);
    }

    DeliveryRequest request(MessageSource body, boolean smtpUtf8, String sender, String... recipients) {
        List<MailAddress> rcpts = new ArrayList<>();
        for (String r : recipients) {
            rcpts.add(MailAddress.parse(r, smtpUtf8));
        }
        Envelope envelope = new Envelope(Optional.of(MailAddress.parse(sender, smtpUtf8)), rcpts, smtpUtf8, false);
        return new DeliveryRequest(QueueId.generate(clock.instant(), random), envelope, rcpts.get(0).domain(), rcpts, body, 1);
    }

    /** Outcomes by recipient, in the order given. */
    static Map<String, Outcome> byRecipient(List<RecipientOutcome> outcomes) {
        Map<String, Outcome> out = new LinkedHashMap<>();
        outcomes.forEach(o -> out.put(o.recipient().toString(), o.outcome()));
        return out;
    }

    static Domain domain(String name) {
        return Domain.parse(name);
    }

    @Override
    public void close() {
        // the agent first (its QUITs need the servers), then the servers, then DNS
        List<AutoCloseable> all = new ArrayList<>(open);
        all.sort((a, b) -> Integer.compare(rank(a), rank(b)));
        for (AutoCloseable c : all) {
            try {
                c.close();
            } catch (Exception ignored) {
                // best effort
            }
        }
    }

    private static int rank(AutoCloseable c) {
        return c instanceof SmtpDeliveryAgent ? 0 : c instanceof MiniDns ? 2 : 1;
    }
}
