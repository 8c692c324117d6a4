package relay.core.tls;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.cert.TrustAnchor;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
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
import relay.core.outbound.Route;
import relay.core.outbound.SmtpDeliveryAgent;
import relay.core.outbound.SmtpTimeouts;
import relay.core.policy.ReportedPolicy;
import relay.core.policy.TlsPolicySource;
import relay.core.policy.TlsRequirement;
import relay.core.policy.TransportPolicy;
import relay.core.testing.BytesMessage;
import relay.core.testing.Loopback;
import relay.core.testing.MiniDns;
import relay.core.testing.MutableClock;
import relay.core.testing.TestMx;
import relay.core.testing.TestPki;

/**
 * The transport side of RFC 8461 §4 and §5 with real sockets: what the relay's TLS client offers
 * (§7.1 SNI, §7.2 TLS versions), which name the MX checks use (§4.1: the MX name, not its CNAME
 * target), the walk past a failing MX (§5.1 step 2), and which domain's policy a route is
 * delivered under (§3.4). The policy itself is a {@link TransportPolicy} built here, as the
 * MTA-STS source builds it for {@code enforce}: verified TLS and an MX predicate.
 */
class MtaStsTransportIT {

    private static final InetAddress MX1 = Loopback.host(2);
    private static final InetAddress MX2 = Loopback.host(3);
    private static final InetAddress SMARTHOST = Loopback.host(4);
    private static final String BODY = "From: alice@sender.test\r\nTo: bob@example.test\r\nSubject: sts\r\n\r\nhello\r\n";

    private final TestPki pki = TestPki.create("MTA-STS Transport Test CA");
    private final MutableClock clock = new MutableClock(Instant.now());
    private final List<AutoCloseable> open = new ArrayList<>();
    private MiniDns dns;
    private int port;

    @BeforeEach
    void start() throws IOException {
        dns = Loopback.retryingBind(() -> MiniDns.start("example.test", ""));
        port = Loopback.commonFreePort(List.of(MX1, MX2, SMARTHOST));
    }

    @AfterEach
    void stop() {
        for (int i = open.size() - 1; i >= 0; i--) {
            try {
                open.get(i).close();
            } catch (Exception ignored) {
                // best effort
            }
        }
        dns.close();
    }

    /**
     * What {@code mode: enforce} turns into ({@code StsPolicySource#toTransport}): verified TLS, only
     * the MX names the predicate allows, reported as an {@code sts} policy.
     */
    private static TransportPolicy enforcePolicy(Predicate<Domain> mxAllowed) {
        return new TransportPolicy(TlsRequirement.VERIFIED, mxAllowed, "mta-sts enforce",
                new ReportedPolicy(ReportedPolicy.Type.STS, List.of("version: STSv1", "mode: enforce"), List.of(), "1"));
    }

    private static TlsPolicySource enforce(Predicate<Domain> mxAllowed) {
        return domain -> enforcePolicy(mxAllowed);
    }

    private SmtpDeliveryAgent agent(TlsPolicySource policies, List<Route> routes) {
        Dns resolver = new Dns(new DnsSettings(List.of(dns.address()), Duration.ofSeconds(1)));
        Duration s = Duration.ofSeconds(5);
        OutboundSettings settings = new OutboundSettings("relay.example.test", port,
                new SmtpTimeouts(Duration.ofSeconds(1), s, s, s, s, s), 5, Duration.ofMinutes(10), Duration.ofMinutes(1),
                2, 4, routes);
        SmtpDeliveryAgent agent = new SmtpDeliveryAgent(settings, resolver, new MxResolver(resolver, new Random(8461)),
                policies, new CertificateVerifier(Set.of(new TrustAnchor(pki.caCertificate(), null)), clock), clock);
        open.add(agent);
        return agent;
    }

    private Outcome deliver(SmtpDeliveryAgent agent, String recipient) {
        MailAddress rcpt = MailAddress.parse(recipient, false);
        Envelope envelope = new Envelope(Optional.of(MailAddress.parse("alice@sender.test", false)), List.of(rcpt), false,
                false);
        List<RecipientOutcome> outcomes = agent.deliver(new DeliveryRequest(QueueId.generate(clock.instant(), new Random(1)),
                envelope, rcpt.domain(), List.of(rcpt), BytesMessage.of(BODY), 1));
        assertThat(outcomes).hasSize(1);
        return outcomes.get(0).outcome();
    }

    private TestMx mx(InetAddress address, String name, SSLContext tls) {
        TestMx mx = TestMx.on(address, port).hostName(name).tls(tls).start();
        open.add(mx);
        return mx;
    }

    private TlsPeer peer(InetAddress address, SSLContext tls, String... protocols) throws IOException {
        TlsPeer peer = new TlsPeer(new InetSocketAddress(address, port), tls, protocols);
        open.add(peer);
        return peer;
    }

    // RFC 8461 §7.1 (STS-56) and §7.2 (STS-57): the ClientHello after STARTTLS offers TLS 1.2 and 1.3 only,
    // and its SNI is the MX host name without the trailing dot of the DNS answer
    @Test
    void clientHelloOffersOnlyTls12OrNewerAndNamesTheMx() throws Exception {
        dns.setZone("@ MX 10 mx1.example.test.\nmx1 A 127.0.0.2\n");
        TlsPeer peer = peer(MX1, null);

        Outcome o = deliver(agent(enforce(mx -> true), List.of()), "bob@example.test");

        ClientHello hello = ClientHello.parse(peer.clientHello.get(10, TimeUnit.SECONDS));
        assertThat(hello.legacyVersion()).as("legacy_version: TLS 1.2").isEqualTo(0x0303);
        assertThat(hello.supportedVersions()).as("supported_versions").isNotEmpty()
                .containsAnyOf(0x0303, 0x0304).allMatch(v -> v >= 0x0303, "TLS 1.2 or newer");
        assertThat(hello.serverName()).contains("mx1.example.test");
        // the handshake breaks off: under enforce that is an MTA-STS deferral (STS-67), never plaintext
        assertThat(o).as("no session, no mail").isInstanceOf(Outcome.Deferred.class);
        assertThat(o.status()).isEqualTo("4.7.5");
        assertThat(o.diagnostic()).startsWith("MTA-STS: TLS with mx1.example.test failed");
    }

    // RFC 8461 §7.2 (STS-57): an MX that speaks only TLS 1.2 passes a verified policy
    @Test
    void anMxThatSpeaksOnlyTls12IsAcceptedUnderEnforce() throws Exception {
        dns.setZone("@ MX 10 mx1\nmx1 A 127.0.0.2\n");
        TlsPeer peer = peer(MX1, pki.issue("mx1.example.test").serverContext(), "TLSv1.2");

        Outcome o = deliver(agent(enforce(mx -> true), List.of()), "bob@example.test");

        assertThat(o).isInstanceOf(Outcome.Delivered.class);
        assertThat(peer.protocols).containsExactly("TLSv1.2");
        assertThat(peer.messages).hasSize(1);
    }

    // RFC 8461 §5.1 step 2 (STS-64): a certificate failure on the best MX moves on to the next, which gets the mail
    @Test
    void aBadCertificateOnTheBestMxMovesOnToTheNext() throws IOException {
        dns.setZone("@ MX 10 mx1\n@ MX 20 mx2\nmx1 A 127.0.0.2\nmx2 A 127.0.0.3\n");
        TestMx mx1 = mx(MX1, "mx1.example.test", pki.issue("other.example.test").serverContext());
        TestMx mx2 = mx(MX2, "mx2.example.test", pki.issue("mx2.example.test").serverContext());

        Outcome o = deliver(agent(enforce(mx -> true), List.of()), "bob@example.test");

        assertThat(o).isInstanceOf(Outcome.Delivered.class);
        assertThat(mx1.connections()).isEqualTo(1);
        assertThat(mx1.mailCommands()).isZero();
        assertThat(mx2.received()).singleElement().satisfies(r -> assertThat(r.tls()).isTrue());
    }

    // RFC 8461 §4 (STS-47): both checks, the MX pattern and STARTTLS with the certificate, show in the
    // attempt log for each MX
    @Test
    void bothChecksAreLoggedForEachMx() throws IOException {
        dns.setZone("@ MX 10 mx1\n@ MX 20 mx2\nmx1 A 127.0.0.2\nmx2 A 127.0.0.3\n");
        mx(MX2, "mx2.example.test", pki.issue("mx2.example.test").serverContext());
        Logger logger = (Logger) LoggerFactory.getLogger("relay.delivery");
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        Level level = logger.getLevel();
        logger.setLevel(Level.INFO);
        logger.addAppender(logs);
        try {
            Outcome o = deliver(agent(enforce(mx -> mx.name().equals("mx2.example.test")), List.of()), "bob@example.test");

            assertThat(o).isInstanceOf(Outcome.Delivered.class);
            assertThat(logs.list).extracting(ILoggingEvent::getFormattedMessage)
                    .anySatisfy(line -> assertThat(line).contains("mx=mx1.example.test")
                            .contains("skipped=\"not permitted by mta-sts enforce\""))
                    .anySatisfy(line -> assertThat(line).contains("mx=mx2.example.test[127.0.0.3]")
                            .contains("verify=trusted").contains("policy=mta-sts enforce").contains("result=\"ok\""));
        } finally {
            logger.detachAppender(logs);
            logger.setLevel(level);
        }
    }

    // RFC 8461 §4.1 (STS-50): the MX name is what the policy and the certificate are held to, not its CNAME target
    @Test
    void theMxNameNotItsCnameTargetIsMatched() throws IOException {
        dns.setZone("@ MX 10 mx1\nmx1 CNAME host.cloud\nhost.cloud A 127.0.0.2\n");
        TestMx mx1 = mx(MX1, "mx1.example.test", pki.issue("mx1.example.test").serverContext());

        Outcome byCnameTarget = deliver(agent(enforce(mx -> mx.name().equals("host.cloud.example.test")), List.of()),
                "bob@example.test");
        assertThat(byCnameTarget).isInstanceOf(Outcome.Deferred.class);
        assertThat(byCnameTarget.status()).isEqualTo("4.7.5");
        assertThat(byCnameTarget.diagnostic()).contains("MX mx1.example.test is not listed");
        assertThat(mx1.connections()).as("an MX the policy does not list is never contacted").isZero();

        Outcome byMxName = deliver(agent(enforce(mx -> mx.name().equals("mx1.example.test")), List.of()),
                "bob@example.test");
        assertThat(byMxName).isInstanceOf(Outcome.Delivered.class);
        assertThat(mx1.received()).singleElement().satisfies(r -> assertThat(r.tls()).isTrue());
    }

    // RFC 8461 §3.4 (STS-43): mail through a configured route goes under the policy of the route's host,
    // and the recipient domain's policy is not even asked for
    @Test
    void aRouteIsDeliveredUnderThePolicyOfItsHost() throws IOException {
        dns.setZone("smarthost A 127.0.0.4\n");
        TestMx smarthost = mx(SMARTHOST, "smarthost.example.test", pki.issue("smarthost.example.test").serverContext());
        List<Domain> asked = new CopyOnWriteArrayList<>();
        TlsPolicySource recording = domain -> {
            asked.add(domain);
            return enforcePolicy(mx -> mx.name().equals("smarthost.example.test"));
        };
        Route route = new Route("*", Domain.parse("smarthost.example.test"), port, TlsRequirement.OPPORTUNISTIC,
                Optional.empty());

        Outcome o = deliver(agent(recording, List.of(route)), "bob@elsewhere.example");

        assertThat(o).isInstanceOf(Outcome.Delivered.class);
        assertThat(asked).containsExactly(Domain.parse("smarthost.example.test"));
        assertThat(smarthost.received()).singleElement().satisfies(r -> assertThat(r.tls()).isTrue());
    }

    /** The parts of a TLS ClientHello (RFC 8446 §4.1.2) this test looks at. */
    record ClientHello(int legacyVersion, List<Integer> supportedVersions, Optional<String> serverName) {

        /** Parses the first TLS record a client sends: one handshake message, a ClientHello. */
        static ClientHello parse(byte[] record) throws IOException {
            DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(record));
            assertThat(in.readUnsignedByte()).as("record type: handshake").isEqualTo(22);
            in.readUnsignedShort(); // record version
            in.readUnsignedShort(); // record length
            assertThat(in.readUnsignedByte()).as("handshake type: client_hello").isEqualTo(1);
            in.skipBytes(3); // handshake length
            int legacy = in.readUnsignedShort();
            in.skipBytes(32); // random
            in.skipBytes(in.readUnsignedByte()); // legacy_session_id
            in.skipBytes(in.readUnsignedShort()); // cipher_suites
            in.skipBytes(in.readUnsignedByte()); // legacy_compression_methods
            List<Integer> versions = new ArrayList<>();
            Optional<String> sni = Optional.empty();
            int extensionsEnd = record.length - in.available() + in.readUnsignedShort();
            while (record.length - in.available() < extensionsEnd) {
                int type = in.readUnsignedShort();
                byte[] data = new byte[in.readUnsignedShort()];
                in.readFully(data);
                DataInputStream ext = new DataInputStream(new java.io.ByteArrayInputStream(data));
                if (type == 43) { // supported_versions (RFC 8446 §4.2.1)
                    int n = ext.readUnsignedByte() / 2;
                    for (int i = 0; i < n; i++) {
                        versions.add(ext.readUnsignedShort());
                    }
                } else if (type == 0) { // server_name (RFC 6066 §3)
                    ext.readUnsignedShort(); // list length
                    assertThat(ext.readUnsignedByte()).as("host_name").isZero();
                    byte[] name = new byte[ext.readUnsignedShort()];
                    ext.readFully(name);
                    sni = Optional.of(new String(name, StandardCharsets.US_ASCII));
                }
            }
            return new ClientHello(legacy, versions, sni);
        }
    }

    /**
     * An SMTP peer that offers STARTTLS and then either keeps the client's first TLS record (no
     * context: the ClientHello, after which it hangs up) or completes the handshake with the given
     * protocols only and takes the mail.
     */
    static final class TlsPeer implements AutoCloseable {

        final CompletableFuture<byte[]> clientHello = new CompletableFuture<>();
        final List<String> protocols = new CopyOnWriteArrayList<>();
        final List<String> messages = new CopyOnWriteArrayList<>();
        private final ServerSocket server;
        private final SSLContext tls;
        private final String[] enabled;

        TlsPeer(InetSocketAddress address, SSLContext tls, String... enabled) throws IOException {
            this.server = new ServerSocket();
            server.setReuseAddress(true);
            server.bind(address);
            this.tls = tls;
            this.enabled = enabled;
            Thread t = new Thread(this::serve, "tls-peer");
            t.setDaemon(true);
            t.start();
        }

        private void serve() {
            while (!server.isClosed()) {
                try (Socket s = server.accept()) {
                    s.setSoTimeout(10_000);
                    converse(s);
                } catch (IOException e) {
                    // the next connection, or closed
                }
            }
        }

        private void converse(Socket s) throws IOException {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            send(out, "220 peer.example.test ESMTP\r\n");
            for (String line = line(in); line != null; line = line(in)) {
                String upper = line.toUpperCase(java.util.Locale.ROOT);
                if (upper.startsWith("EHLO")) {
                    send(out, "250-peer.example.test\r\n250 STARTTLS\r\n");
                } else if (upper.equals("STARTTLS")) {
                    send(out, "220 2.0.0 Ready to start TLS\r\n");
                    if (tls == null) {
                        byte[] header = in.readNBytes(5);
                        byte[] rest = in.readNBytes(((header[3] & 0xff) << 8) | (header[4] & 0xff));
                        ByteArrayOutputStream all = new ByteArrayOutputStream();
                        all.write(header);
                        all.write(rest);
                        clientHello.complete(all.toByteArray());
                        return;
                    }
                    SSLSocket ssl = (SSLSocket) tls.getSocketFactory().createSocket(s, null, s.getPort(), false);
                    ssl.setUseClientMode(false);
                    ssl.setEnabledProtocols(enabled);
                    ssl.startHandshake();
                    protocols.add(ssl.getSession().getProtocol());
                    insideTls(ssl.getInputStream(), ssl.getOutputStream());
                    return;
                } else {
                    send(out, "503 5.5.1 STARTTLS first\r\n");
                }
            }
        }

        private void insideTls(InputStream in, OutputStream out) throws IOException {
            for (String line = line(in); line != null; line = line(in)) {
                String upper = line.toUpperCase(java.util.Locale.ROOT);
                if (upper.startsWith("EHLO")) {
                    send(out, "250 peer.example.test\r\n");
                } else if (upper.equals("DATA")) {
                    send(out, "354 go ahead\r\n");
                    StringBuilder message = new StringBuilder();
                    for (String l = line(in); l != null && !l.equals("."); l = line(in)) {
                        message.append(l).append("\r\n");
                    }
                    messages.add(message.toString());
                    send(out, "250 2.0.0 Ok: queued\r\n");
                } else if (upper.equals("QUIT")) {
                    send(out, "221 2.0.0 Bye\r\n");
                    return;
                } else {
                    send(out, "250 2.0.0 Ok\r\n");
                }
            }
        }

        /** One CRLF line, byte by byte, so that nothing after it (the TLS handshake) is read ahead. */
        private static String line(InputStream in) throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            for (int c = in.read(); c >= 0; c = in.read()) {
                if (c == '\n') {
                    String s = b.toString(StandardCharsets.US_ASCII);
                    return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
                }
                b.write(c);
            }
            return null;
        }

        private static void send(OutputStream out, String text) throws IOException {
            out.write(text.getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
