package relay.sts.fetch;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.cert.TrustAnchor;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SNIMatcher;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.StandardConstants;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import relay.core.dns.Dns;
import relay.core.dns.DnsSettings;
import relay.core.mail.Domain;
import relay.core.testing.Loopback;
import relay.core.testing.MiniDns;
import relay.core.testing.TestPki;
import relay.core.tls.CertificateVerifier;

/** RFC 8461 §3.2-3.3 against a real HTTPS policy host and a wire-format DNS server. */
class PolicyFetcherIT {

    private static final String POLICY = "version: STSv1\nmode: enforce\nmx: mx1.example.test\nmax_age: 86400\n";
    private static final Domain DOMAIN = Domain.parse("example.test");

    /** What the policy host answers. */
    private record Answer(int status, String contentType, byte[] body, String location, boolean hang) {
        static Answer ok(String contentType, String body) {
            return new Answer(200, contentType, body.getBytes(StandardCharsets.UTF_8), null, false);
        }
    }

    private final TestPki pki = TestPki.create("Fetch Test CA");
    private final AtomicReference<Answer> answer = new AtomicReference<>(Answer.ok("text/plain", POLICY));
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicReference<String> requestHeaders = new AtomicReference<>("");
    /** The server names the client asked for in its ClientHello (RFC 6066 SNI), in order. */
    private final List<String> sni = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final CountDownLatch release = new CountDownLatch(1);
    private HttpsServer server;
    private MiniDns dns;
    private EventLoopGroup group;

    @BeforeEach
    void start() throws IOException {
        dns = Loopback.retryingBind(() -> MiniDns.start("example.test", "mta-sts A 127.0.0.1\n"));
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        serve(pki.issue("mta-sts.example.test").serverContext());
    }

    private void serve(SSLContext context) throws IOException {
        if (server != null) {
            server.stop(0);
        }
        server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 50);
        server.setHttpsConfigurator(new HttpsConfigurator(context) {
            @Override
            public void configure(HttpsParameters params) {
                // records the SNI of each ClientHello; answering true lets every handshake go on
                SSLParameters p = context.getDefaultSSLParameters();
                p.setSNIMatchers(List.of(new SNIMatcher(StandardConstants.SNI_HOST_NAME) {
                    @Override
                    public boolean matches(SNIServerName name) {
                        sni.add(new String(name.getEncoded(), StandardCharsets.US_ASCII));
                        return true;
                    }
                }));
                params.setSSLParameters(p);
            }
        });
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/", exchange -> {
            requests.incrementAndGet();
            requestHeaders.set(exchange.getRequestMethod() + " " + exchange.getRequestURI() + " " + exchange.getRequestHeaders());
            Answer a = answer.get();
            if (a.hang()) {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (a.contentType() != null) {
                exchange.getResponseHeaders().set("Content-Type", a.contentType());
            }
            if (a.location() != null) {
                exchange.getResponseHeaders().set("Location", a.location());
            }
            exchange.getResponseHeaders().set("Cache-Control", "max-age=3600");
            // a status of 299 stands for "200, chunked": no Content-Length, the cap must hold while streaming
            boolean chunked = a.status() == 299;
            exchange.sendResponseHeaders(chunked ? 200 : a.status(), chunked ? 0 : a.body().length == 0 ? -1 : a.body().length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(a.body());
            } catch (IOException e) {
                // the client hung up on a body it did not want
            }
        });
        server.start();
    }

    @AfterEach
    void stop() {
        release.countDown();
        server.stop(0);
        dns.close();
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
    }

    private FetchResult fetch() {
        return fetch(Duration.ofSeconds(5), Clock.systemUTC());
    }

    private FetchResult fetch(Duration total, Clock clock) {
        return fetcher(total, clock).fetch(DOMAIN);
    }

    private PolicyFetcher fetcher(Duration total, Clock clock) {
        return fetcher(server.getAddress().getPort(), total, clock);
    }

    private PolicyFetcher fetcher(int port, Duration total, Clock clock) {
        Dns resolver = new Dns(new DnsSettings(List.of(dns.address()), Duration.ofSeconds(1)));
        CertificateVerifier verifier = new CertificateVerifier(Set.of(new TrustAnchor(pki.caCertificate(), null)), clock);
        return new PolicyFetcher(resolver, verifier, group, new FetchSettings(port,
                Duration.ofSeconds(2), total, FetchSettings.RFC_MAX_BYTES));
    }

    private static String text(FetchResult r) {
        assertThat(r).isInstanceOf(FetchResult.Fetched.class);
        return new String(((FetchResult.Fetched) r).body(), StandardCharsets.UTF_8);
    }

    private static void assertFailed(FetchResult r, FetchResult.Failure kind, String reason) {
        assertThat(r).isInstanceOf(FetchResult.Failed.class);
        FetchResult.Failed f = (FetchResult.Failed) r;
        assertThat(f.kind()).as(f.reason()).isEqualTo(kind);
        assertThat(f.reason()).contains(reason);
    }

    // RFC 8461 §3.2: GET https://mta-sts.<domain>/.well-known/mta-sts.txt
    @Test
    void fetchesThePolicyFromTheWellKnownPath() {
        FetchResult r = fetch();
        assertThat(r).isInstanceOf(FetchResult.Fetched.class);
        assertThat(new String(((FetchResult.Fetched) r).body(), StandardCharsets.UTF_8)).isEqualTo(POLICY);
        // §3.3: no HTTP caching: nothing conditional is asked
        assertThat(requestHeaders.get()).startsWith("GET /.well-known/mta-sts.txt ")
                .doesNotContainIgnoringCase("If-None-Match").doesNotContainIgnoringCase("If-Modified-Since");
    }

    @Test
    void mediaTypeParametersAreIgnored() {
        answer.set(Answer.ok("text/plain; charset=utf-8; x=y", POLICY));
        assertThat(fetch()).isInstanceOf(FetchResult.Fetched.class);
        answer.set(Answer.ok("TEXT/PLAIN", POLICY));
        assertThat(fetch()).isInstanceOf(FetchResult.Fetched.class);
    }

    // RFC 8461 §3.3: only a 200 counts
    @Test
    void notFoundIsAFetchError() {
        answer.set(new Answer(404, "text/plain", "no".getBytes(StandardCharsets.UTF_8), null, false));
        assertFailed(fetch(), FetchResult.Failure.FETCH_ERROR, "HTTP 404");
    }

    @Test
    void serverErrorIsAFetchError() {
        answer.set(new Answer(500, "text/plain", new byte[0], null, false));
        assertFailed(fetch(), FetchResult.Failure.FETCH_ERROR, "HTTP 500");
    }

    // RFC 8461 §3.3: redirects MUST NOT be followed
    @Test
    void redirectIsNotFollowed() {
        answer.set(new Answer(301, "text/plain", new byte[0], "https://mta-sts.example.test/elsewhere", false));
        assertFailed(fetch(), FetchResult.Failure.FETCH_ERROR, "redirects are not followed");
        assertThat(requests.get()).isEqualTo(1);
    }

    // RFC 8461 §3.2: the media type is text/plain
    @Test
    void wrongMediaTypeIsAnInvalidPolicy() {
        answer.set(Answer.ok("text/html", "<html>" + POLICY));
        assertFailed(fetch(), FetchResult.Failure.INVALID, "text/html");
    }

    @Test
    void missingMediaTypeIsAnInvalidPolicy() {
        answer.set(new Answer(200, null, POLICY.getBytes(StandardCharsets.UTF_8), null, false));
        assertFailed(fetch(), FetchResult.Failure.INVALID, "not text/plain");
    }

    // RFC 8461 §3.3: a body-size limit (64 KiB), checked as the body arrives
    @Test
    void hugeBodyIsCutOff() {
        answer.set(new Answer(200, "text/plain", new byte[10 * 1024 * 1024], null, false));
        assertFailed(fetch(), FetchResult.Failure.INVALID, "larger than 65536 octets");
    }

    @Test
    void hugeChunkedBodyIsCutOffWhileStreaming() {
        answer.set(new Answer(299, "text/plain", new byte[10 * 1024 * 1024], null, false));
        assertFailed(fetch(), FetchResult.Failure.INVALID, "larger than 65536 octets");
    }

    @Test
    void chunkedPolicyIsFetched() {
        answer.set(new Answer(299, "text/plain", POLICY.getBytes(StandardCharsets.UTF_8), null, false));
        FetchResult r = fetch();
        assertThat(r).isInstanceOf(FetchResult.Fetched.class);
        assertThat(new String(((FetchResult.Fetched) r).body(), StandardCharsets.UTF_8)).isEqualTo(POLICY);
    }

    @Test
    void bodyAtTheCapIsAccepted() {
        byte[] body = new byte[FetchSettings.RFC_MAX_BYTES];
        java.util.Arrays.fill(body, (byte) 'x');
        answer.set(new Answer(200, "text/plain", body, null, false));
        assertThat(fetch()).isInstanceOf(FetchResult.Fetched.class);
    }

    // RFC 8461 §3.3: a timeout
    @Test
    void slowServerTimesOut() {
        answer.set(new Answer(200, "text/plain", POLICY.getBytes(StandardCharsets.UTF_8), null, true));
        assertFailed(fetch(Duration.ofMillis(700), Clock.systemUTC()), FetchResult.Failure.FETCH_ERROR, "took longer than");
    }

    // RFC 8461 §3.3: the certificate must be valid for mta-sts.<domain> and chain to a trusted root
    @Test
    void certificateForAnotherNameIsWebPkiInvalid() throws IOException {
        serve(pki.issue("example.test").serverContext());
        assertFailed(fetch(), FetchResult.Failure.WEBPKI_INVALID, "mta-sts.example.test");
        assertThat(requests.get()).as("no request over an unverified connection").isZero();
    }

    @Test
    void untrustedCertificateIsWebPkiInvalid() throws IOException {
        serve(TestPki.create("Someone Else").issue("mta-sts.example.test").serverContext());
        assertFailed(fetch(), FetchResult.Failure.WEBPKI_INVALID, "not trusted");
    }

    @Test
    void expiredCertificateIsWebPkiInvalid() throws IOException {
        Instant now = Instant.now();
        serve(pki.issue(now.minus(30, ChronoUnit.DAYS), now.minus(1, ChronoUnit.DAYS), "mta-sts.example.test").serverContext());
        assertFailed(fetch(), FetchResult.Failure.WEBPKI_INVALID, "expired");
    }

    @Test
    void wildcardCertificateCoversThePolicyHost() throws IOException {
        serve(pki.issue("*.example.test").serverContext());
        assertThat(fetch()).isInstanceOf(FetchResult.Fetched.class);
    }

    @Test
    void policyHostWithoutAddressIsAFetchError() throws IOException {
        dns.setZone("mx1 A 127.0.0.1\n");
        assertFailed(fetch(), FetchResult.Failure.FETCH_ERROR, "mta-sts.example.test: no address");
    }

    @Test
    void nothingListeningIsAFetchError() {
        server.stop(0);
        assertFailed(fetch(), FetchResult.Failure.FETCH_ERROR, "cannot connect to mta-sts.example.test");
    }

    // RFC 8461 §3.3 (STS-17): "only valid if" the status is 200; a policy in any other 2xx or error does not count
    @ParameterizedTest(name = "HTTP {0}")
    @ValueSource(ints = {201, 202, 203, 204, 206, 400, 403, 404, 410, 500, 502, 503})
    void onlyA200Counts(int status) {
        answer.set(new Answer(status, "text/plain", POLICY.getBytes(StandardCharsets.UTF_8), null, false));
        assertFailed(fetch(), FetchResult.Failure.FETCH_ERROR, "HTTP " + status);
        assertThat(requests.get()).isEqualTo(1);
    }

    // RFC 8461 §3.3 (STS-18): no redirect is followed, whatever its kind: one request, then failure
    @ParameterizedTest(name = "HTTP {0}")
    @ValueSource(ints = {300, 301, 302, 303, 307, 308})
    void noRedirectIsFollowed(int status) {
        answer.set(new Answer(status, "text/plain", POLICY.getBytes(StandardCharsets.UTF_8),
                "https://mta-sts.example.test" + FetchHandler.PATH, false));
        assertFailed(fetch(), FetchResult.Failure.FETCH_ERROR, "HTTP " + status);
        assertThat(requests.get()).as("no second request").isEqualTo(1);
    }

    // RFC 8461 §3.3 (STS-19): no HTTP cache: a response marked cacheable is fetched again, and the new body seen
    @Test
    void cacheableResponsesAreFetchedAgain() {
        PolicyFetcher fetcher = fetcher(Duration.ofSeconds(5), Clock.systemUTC());
        assertThat(text(fetcher.fetch(DOMAIN))).isEqualTo(POLICY);
        String changed = POLICY.replace("mx1", "mx2");
        answer.set(Answer.ok("text/plain", changed));

        assertThat(text(fetcher.fetch(DOMAIN))).isEqualTo(changed);
        assertThat(requests.get()).isEqualTo(2);
        assertThat(requestHeaders.get()).doesNotContainIgnoringCase("If-None-Match")
                .doesNotContainIgnoringCase("If-Modified-Since").doesNotContainIgnoringCase("Cache-Control");
    }

    // RFC 8461 §7.1 (STS-22): the ClientHello names the policy host
    @Test
    void sniNamesThePolicyHost() {
        assertThat(fetch()).isInstanceOf(FetchResult.Fetched.class);
        assertThat(sni).containsExactly("mta-sts.example.test");
    }

    // RFC 8461 §3.3 (STS-14): DNS-IDs only; a CN naming the host does not make the certificate valid for it
    @Test
    void certificateNamingThePolicyHostOnlyInItsCnIsWebPkiInvalid() throws IOException {
        Instant now = Instant.now();
        serve(pki.issue(now.minus(1, ChronoUnit.DAYS), now.plus(30, ChronoUnit.DAYS), "mta-sts.example.test", List.of(),
                KeyPurposeId.id_kp_serverAuth).serverContext());
        assertFailed(fetch(), FetchResult.Failure.WEBPKI_INVALID, "mta-sts.example.test");
        assertThat(requests.get()).isZero();
    }

    @Test
    void correctCnDoesNotRescueASanForAnotherName() throws IOException {
        Instant now = Instant.now();
        serve(pki.issue(now.minus(1, ChronoUnit.DAYS), now.plus(30, ChronoUnit.DAYS), "mta-sts.example.test",
                List.of("other.example.test"), KeyPurposeId.id_kp_serverAuth).serverContext());
        assertFailed(fetch(), FetchResult.Failure.WEBPKI_INVALID, "mta-sts.example.test");
    }

    // RFC 8461 §3.3 (STS-15): a wildcard covers exactly one left-most label
    @Test
    void wildcardTwoLabelsUpDoesNotCoverThePolicyHost() throws IOException {
        serve(pki.issue("*.test").serverContext());
        assertFailed(fetch(), FetchResult.Failure.WEBPKI_INVALID, "mta-sts.example.test");
    }

    // RFC 8461 §8.2 (STS-46): under CNAME delegation the policy host is still mta-sts.<policy domain>, and
    // a certificate only for the provider's host does not do
    @Test
    void certificateOnlyForTheProvidersHostIsWebPkiInvalid() throws IOException {
        serve(pki.issue("mta-sts.provider.example").serverContext());
        assertFailed(fetch(), FetchResult.Failure.WEBPKI_INVALID, "mta-sts.example.test");
        assertThat(sni).as("asked for the policy domain's host").containsExactly("mta-sts.example.test");
    }

    /**
     * RFC 9110 §15.2: a client must parse 1xx interim responses it did not ask for (a 103 Early
     * Hints from a CDN, a stray 100 Continue) and go on to the final response: the 200 after them
     * is the policy. The JDK's HttpsServer cannot send them, so a raw TLS server answers here.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"HTTP/1.1 100 Continue\r\n\r\n",
        "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n",
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"})
    void interimResponsesBeforeThe200AreSkipped(String interim) throws Exception {
        byte[] policy = POLICY.getBytes(StandardCharsets.UTF_8);
        String response = interim + "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + policy.length
                + "\r\nConnection: close\r\n\r\n" + POLICY;
        try (javax.net.ssl.SSLServerSocket raw = (javax.net.ssl.SSLServerSocket) pki.issue("mta-sts.example.test")
                .serverContext().getServerSocketFactory().createServerSocket(0, 5, java.net.InetAddress.getByName("127.0.0.1"))) {
            Thread t = new Thread(() -> {
                try (java.net.Socket s = raw.accept()) {
                    java.io.InputStream in = s.getInputStream();
                    int state = 0;
                    while (state < 4) { // up to the blank line that ends the request head
                        int c = in.read();
                        if (c < 0) {
                            return;
                        }
                        state = c == (state % 2 == 0 ? '\r' : '\n') ? state + 1 : c == '\r' ? 1 : 0;
                    }
                    s.getOutputStream().write(response.getBytes(StandardCharsets.UTF_8));
                    s.getOutputStream().flush();
                    s.shutdownOutput();
                    in.readAllBytes();
                } catch (IOException e) {
                    // the client went away
                }
            }, "raw-policy-host");
            t.setDaemon(true);
            t.start();

            FetchResult r = fetcher(raw.getLocalPort(), Duration.ofSeconds(5), Clock.systemUTC()).fetch(DOMAIN);

            if (r instanceof FetchResult.Failed f) {
                assertThat(f.reason()).as("fetch failed").isEmpty();
            }
            assertThat(text(r)).isEqualTo(POLICY);
        }
    }
}
