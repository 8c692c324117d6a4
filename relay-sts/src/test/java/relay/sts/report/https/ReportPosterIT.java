package relay.sts.report.https;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.security.cert.TrustAnchor;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import relay.core.dns.Dns;
import relay.core.dns.DnsSettings;
import relay.core.testing.Loopback;
import relay.core.testing.MiniDns;
import relay.core.testing.TestPki;
import relay.core.tls.CertificateVerifier;

/** RFC 8460 §5.4: reports POSTed to a real HTTPS endpoint found through a wire-format DNS server. */
class ReportPosterIT {

    /** What the endpoint saw of one request. */
    record Seen(String method, String path, String host, String contentType, byte[] body) {
    }

    private static final byte[] REPORT = {0x1f, (byte) 0x8b, 8, 0, 1, 2, 3, 4};

    private final TestPki pki = TestPki.create("Report Test CA");
    private final List<Seen> seen = new CopyOnWriteArrayList<>();
    private final AtomicInteger status = new AtomicInteger(200);
    private final CountDownLatch release = new CountDownLatch(1);
    private volatile boolean hang;
    private HttpsServer server;
    private MiniDns dns;
    private EventLoopGroup group;

    @BeforeEach
    void start() throws IOException {
        dns = Loopback.retryingBind(() -> MiniDns.start("example.test", "rpt A 127.0.0.1\n"));
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        serve(pki.issue("rpt.example.test").serverContext());
    }

    private void serve(SSLContext context) throws IOException {
        if (server != null) {
            server.stop(0);
        }
        server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 50);
        server.setHttpsConfigurator(new HttpsConfigurator(context));
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/", exchange -> {
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readAllBytes();
            }
            seen.add(new Seen(exchange.getRequestMethod(), exchange.getRequestURI().toString(),
                    exchange.getRequestHeaders().getFirst("Host"), exchange.getRequestHeaders().getFirst("Content-Type"), body));
            if (hang) {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (status.get() / 100 == 3) {
                exchange.getResponseHeaders().set("Location", "https://rpt.example.test:" + server.getAddress().getPort() + "/other");
            }
            exchange.sendResponseHeaders(status.get(), -1);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        release.countDown();
        server.stop(0);
        dns.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    private URI uri(String host) {
        return URI.create("https://" + host + ":" + server.getAddress().getPort() + "/v1/tlsrpt?k=1");
    }

    private PostResult post(URI uri, boolean verify, Duration total) {
        Dns resolver = new Dns(new DnsSettings(List.of(dns.address()), Duration.ofSeconds(1)));
        CertificateVerifier verifier = new CertificateVerifier(Set.of(new TrustAnchor(pki.caCertificate(), null)),
                Clock.systemUTC());
        return new ReportPoster(resolver, verifier, group, new PostSettings(Duration.ofSeconds(2), total, verify))
                .post(uri, REPORT);
    }

    private PostResult post() {
        return post(uri("rpt.example.test"), true, Duration.ofSeconds(5));
    }

    // RPT-46: a POST of application/tlsrpt+gzip with the gzipped report as the body
    @Test
    void postsTheGzippedReport() {
        assertThat(post()).isEqualTo(new PostResult.Delivered(200));
        assertThat(seen).singleElement().satisfies(s -> {
            assertThat(s.method()).isEqualTo("POST");
            assertThat(s.path()).isEqualTo("/v1/tlsrpt?k=1");
            assertThat(s.host()).isEqualTo("rpt.example.test:" + server.getAddress().getPort());
            assertThat(s.contentType()).isEqualTo("application/tlsrpt+gzip");
            assertThat(s.body()).isEqualTo(REPORT);
        });
    }

    // RPT-47: any 2xx delivers; anything else fails, redirects are not followed
    @ParameterizedTest(name = "HTTP {0} -> delivered={1}")
    @CsvSource({"200, true", "201, true", "202, true", "204, true",
        "301, false", "302, false", "400, false", "404, false", "500, false", "503, false"})
    void statusDecides(int code, boolean delivered) {
        status.set(code);
        PostResult r = post();
        assertThat(r.delivered()).as(r.toString()).isEqualTo(delivered);
        assertThat(seen).hasSize(1);
        if (!delivered) {
            assertThat(((PostResult.Failed) r).reason()).contains("HTTP " + code);
        }
    }

    /** RFC 9110 §15.2: interim responses before the final one are skipped, not taken as the answer. */
    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"HTTP/1.1 100 Continue\r\n\r\n",
        "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"})
    void interimResponsesBeforeTheFinalOneAreSkipped(String interim) throws Exception {
        String response = interim + "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        try (javax.net.ssl.SSLServerSocket raw = (javax.net.ssl.SSLServerSocket) pki.issue("rpt.example.test")
                .serverContext().getServerSocketFactory().createServerSocket(0, 5, java.net.InetAddress.getByName("127.0.0.1"))) {
            Thread t = new Thread(() -> {
                try (java.net.Socket s = raw.accept()) {
                    java.io.InputStream in = s.getInputStream();
                    int state = 0;
                    while (state < 4) { // the request head, up to its blank line
                        int c = in.read();
                        if (c < 0) {
                            return;
                        }
                        state = c == (state % 2 == 0 ? '\r' : '\n') ? state + 1 : c == '\r' ? 1 : 0;
                    }
                    in.readNBytes(REPORT.length);
                    s.getOutputStream().write(response.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                    s.getOutputStream().flush();
                    s.shutdownOutput();
                    in.readAllBytes();
                } catch (IOException e) {
                    // the client went away
                }
            }, "raw-report-endpoint");
            t.setDaemon(true);
            t.start();

            PostResult r = post(URI.create("https://rpt.example.test:" + raw.getLocalPort() + "/v1/tlsrpt"), true,
                    Duration.ofSeconds(5));

            assertThat(r).isEqualTo(new PostResult.Delivered(202));
        }
    }

    @Test
    void aCertificateForAnotherNameFailsWhenChecked() throws IOException {
        serve(pki.issue("other.example.test").serverContext());
        PostResult r = post();
        assertThat(r).isInstanceOf(PostResult.Failed.class);
        assertThat(seen).isEmpty();
    }

    // RPT-09: certificate errors may be ignored when the operator turns the checks off
    @Test
    void aCertificateForAnotherNameIsAcceptedWhenChecksAreOff() throws IOException {
        serve(pki.issue("other.example.test").serverContext());
        assertThat(post(uri("rpt.example.test"), false, Duration.ofSeconds(5))).isEqualTo(new PostResult.Delivered(200));
    }

    @Test
    void aHostWithoutAddressFails() {
        PostResult r = post(uri("nothing.example.test"), true, Duration.ofSeconds(5));
        assertThat(r).isInstanceOf(PostResult.Failed.class);
        assertThat(((PostResult.Failed) r).reason()).contains("nothing.example.test");
    }

    @Test
    void aSilentEndpointTimesOut() {
        hang = true;
        long t0 = System.nanoTime();
        PostResult r = post(uri("rpt.example.test"), true, Duration.ofMillis(700));
        assertThat(r).isInstanceOf(PostResult.Failed.class);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(4));
    }
}
