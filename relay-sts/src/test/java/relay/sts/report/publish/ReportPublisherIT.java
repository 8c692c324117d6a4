package relay.sts.report.publish;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import jakarta.mail.BodyPart;
import jakarta.mail.Session;
import jakarta.mail.internet.ContentType;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.TrustAnchor;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPInputStream;
import org.apache.james.jdkim.DKIMVerifier;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import relay.core.dns.Dns;
import relay.core.dns.DnsSettings;
import relay.core.mail.Domain;
import relay.core.mail.MailAddress;
import relay.core.policy.ReportedPolicy;
import relay.core.report.TlsResultType;
import relay.core.report.TlsSessionResult;
import relay.core.testing.Loopback;
import relay.core.testing.MiniDns;
import relay.core.testing.MutableClock;
import relay.core.testing.RecordingSpool;
import relay.core.testing.TestPki;
import relay.core.tls.CertificateVerifier;
import relay.sts.cache.StsSchema;
import relay.sts.report.Reporter;
import relay.sts.report.https.PostSettings;
import relay.sts.report.https.ReportPoster;
import relay.sts.report.mail.DkimKey;
import relay.sts.report.mail.ReportMessage;
import relay.sts.report.record.TlsRptDiscovery;
import relay.sts.report.store.H2TlsReportRecorder;
import relay.sts.report.store.TlsReportStore;

/**
 * The daily run end to end: sessions recorded on one day, the clock moved past the next day's
 * send window, one report per domain arriving in the relay's queue as a DKIM-signed
 * multipart/report and at an HTTPS endpoint as a POST; once per domain and day, retried on
 * failure for at most 24 h.
 */
class ReportPublisherIT {

    static final LocalDate DAY = LocalDate.parse("2026-11-21");
    static final Instant NEXT_MIDNIGHT = Instant.parse("2026-11-22T00:00:00Z");
    static final Domain A = Domain.parse("a.example.test");
    static final Domain B = Domain.parse("b.example.test");
    static final Reporter REPORTER = new Reporter("Relay Org", MailAddress.parse("tlsrpt@reports.relay.example", false));
    static final ReportedPolicy STS = new ReportedPolicy(ReportedPolicy.Type.STS,
            List.of("version: STSv1", "mode: enforce", "mx: mx.a.example.test", "max_age: 86400"), List.of("mx.a.example.test"), "1");
    static KeyPair dkim;

    /** One POST the endpoint received, and when (by the test clock). */
    record Post(Instant at, byte[] body) {
    }

    @TempDir
    Path dir;
    private final TestPki pki = TestPki.create("Publisher Test CA");
    private final List<Post> posts = new CopyOnWriteArrayList<>();
    private final AtomicInteger status = new AtomicInteger(200);
    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-21T10:00:00Z"));
    private final RecordingSpool spool = new RecordingSpool();
    private HttpsServer server;
    private MiniDns dns;
    private EventLoopGroup group;
    private JdbcDataSource db;

    @BeforeAll
    static void keys() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        dkim = g.generateKeyPair();
    }

    @BeforeEach
    void start() throws IOException {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 50);
        server.setHttpsConfigurator(new HttpsConfigurator(pki.issue(Instant.parse("2026-11-01T00:00:00Z"),
                Instant.parse("2027-01-31T00:00:00Z"), "rpt.example.test").serverContext()));
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/", exchange -> {
            try (InputStream in = exchange.getRequestBody()) {
                posts.add(new Post(clock.instant(), in.readAllBytes()));
            }
            exchange.sendResponseHeaders(status.get(), -1);
            exchange.close();
        });
        server.start();
        dns = Loopback.retryingBind(() -> MiniDns.start("example.test",
                "_smtp._tls.a TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@a.example.test,https://rpt.example.test:"
                        + server.getAddress().getPort() + "/v1\"\n"
                        + "rpt A 127.0.0.1\n"
                        + "b A 127.0.0.1\n"));
        db = new JdbcDataSource();
        db.setURL("jdbc:h2:file:" + dir.resolve("relay") + ";DB_CLOSE_ON_EXIT=FALSE");
        StsSchema.migrate(db);
    }

    @AfterEach
    void stop() {
        server.stop(0);
        dns.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    private ReportPublisher publisher(long seed) {
        Dns resolver = new Dns(new DnsSettings(List.of(dns.address()), Duration.ofSeconds(1)));
        CertificateVerifier verifier = new CertificateVerifier(Set.of(new TrustAnchor(pki.caCertificate(), null)), clock);
        ReportPoster poster = new ReportPoster(resolver, verifier, group,
                new PostSettings(Duration.ofSeconds(2), Duration.ofSeconds(5), true));
        ReportMessage mail = new ReportMessage(new DkimKey(Domain.parse("relay.example"), "tlsrpt2026", dkim.getPrivate()), clock);
        return new ReportPublisher(new TlsReportStore(db), new ReportLedger(db), new TlsRptDiscovery(resolver), spool, poster,
                mail, REPORTER, new SendWindow(Duration.ofHours(4), new SplittableRandom(seed)), RetryPolicy.RFC, clock,
                new SplittableRandom(seed));
    }

    private static TlsSessionResult session(Domain d, ReportedPolicy p, TlsResultType type, String mxIp, String why) {
        return new TlsSessionResult(d, p, type, Optional.of("192.0.2.1"), Optional.of("mx." + d), Optional.of("mx." + d),
                Optional.of(mxIp), Optional.ofNullable(why), Instant.parse("2026-11-21T12:00:00Z"));
    }

    /** The day of the issue's proof: successes and the four kinds of failure, for two domains. */
    private void recordTheDay() {
        try (H2TlsReportRecorder recorder = new H2TlsReportRecorder(new TlsReportStore(db), Duration.ofHours(1))) {
            for (int i = 0; i < 10; i++) {
                recorder.record(session(A, STS, TlsResultType.SUCCESS, "198.51.100.1", null));
            }
            recorder.record(session(A, STS, TlsResultType.CERTIFICATE_EXPIRED, "198.51.100.1", null));
            recorder.record(session(A, STS, TlsResultType.CERTIFICATE_EXPIRED, "198.51.100.1", null));
            recorder.record(session(A, STS, TlsResultType.CERTIFICATE_HOST_MISMATCH, "198.51.100.2", null));
            recorder.record(session(A, STS, TlsResultType.STARTTLS_NOT_SUPPORTED, "198.51.100.3", null));
            recorder.record(session(A, ReportedPolicy.NO_POLICY_FOUND, TlsResultType.STS_POLICY_FETCH_ERROR, "198.51.100.1",
                    "HTTP 503 from mta-sts.a.example.test"));
            recorder.record(session(B, ReportedPolicy.NO_POLICY_FOUND, TlsResultType.SUCCESS, "198.51.100.9", null));
        }
    }

    @Test
    void afterTheWindowEachDomainGetsOneReportByMailAndHttps() throws Exception {
        recordTheDay();
        ReportPublisher publisher = publisher(1);
        clock.set(NEXT_MIDNIGHT);
        publisher.tick();
        assertThat(spool.stored()).isEmpty();
        assertThat(posts).isEmpty();

        clock.set(NEXT_MIDNIGHT.plus(Duration.ofHours(4)).plusSeconds(1));
        publisher.tick();

        RecordingSpool.Stored stored = spool.single();
        assertThat(stored.envelope().recipients()).extracting(Object::toString).containsExactly("tlsrpt@a.example.test");
        assertThat(stored.envelope().sender()).contains(REPORTER.contactInfo());
        MimeMessage m = new MimeMessage(Session.getInstance(new java.util.Properties()), new ByteArrayInputStream(stored.bytes()));
        assertThat(new ContentType(m.getContentType()).getParameter("report-type")).isEqualTo("tlsrpt");
        assertThat(m.getHeader("TLS-Report-Domain", null)).isEqualTo("a.example.test");
        BodyPart attachment = ((MimeMultipart) m.getContent()).getBodyPart(1);
        byte[] gz;
        try (InputStream in = attachment.getInputStream()) {
            gz = in.readAllBytes();
        }
        JsonNode json = JsonMapper.builder().build().readTree(new GZIPInputStream(new ByteArrayInputStream(gz)));
        assertThat(json.at("/date-range/start-datetime").asText()).isEqualTo("2026-11-21T00:00:00Z");
        assertThat(json.get("policies")).hasSize(2);
        JsonNode sts = policy(json, "sts");
        assertThat(sts.at("/summary/total-successful-session-count").asLong()).isEqualTo(10);
        assertThat(sts.at("/summary/total-failure-session-count").asLong()).isEqualTo(4);
        assertThat(countsByType(sts)).containsExactlyInAnyOrder("certificate-expired=2", "certificate-host-mismatch=1",
                "starttls-not-supported=1");
        JsonNode none = policy(json, "no-policy-found");
        assertThat(countsByType(none)).containsExactly("sts-policy-fetch-error=1");
        assertThat(none.at("/failure-details/0/failure-reason-code").asText()).isEqualTo("HTTP 503 from mta-sts.a.example.test");
        // RPT-41: the signature verifies
        String keyRecord = "v=DKIM1; k=rsa; p=" + Base64.getEncoder().encodeToString(dkim.getPublic().getEncoded());
        assertThat(new DKIMVerifier((method, selector, domain) -> List.of(keyRecord))
                .verify(new ByteArrayInputStream(stored.bytes()))).hasSize(1);

        // the same report by HTTPS
        assertThat(posts).singleElement().satisfies(p -> assertThat(p.body()).isEqualTo(gz));
        // b.example.test publishes no _smtp._tls record: nothing sent, the day is closed for it
        assertThat(new ReportLedger(db).outcome(B, DAY)).hasValueSatisfying(o -> assertThat(o).contains("no TLSRPT record"));

        // once per domain and day: again, and after a restart
        publisher.tick();
        clock.advance(Duration.ofHours(3));
        publisher(2).tick();
        assertThat(spool.stored()).hasSize(1);
        assertThat(posts).hasSize(1);
    }

    @Test
    void aFailedPostIsRetriedWithTheSameReportUntilItIsAccepted() {
        recordTheDay();
        status.set(503);
        ReportPublisher publisher = publisher(3);
        clock.set(NEXT_MIDNIGHT.plus(Duration.ofHours(5)));
        publisher.tick();
        assertThat(posts).hasSize(1);
        assertThat(spool.stored()).hasSize(1);

        clock.advance(Duration.ofMinutes(4));
        publisher.tick();
        assertThat(posts).hasSize(1);
        clock.advance(Duration.ofMinutes(1));
        publisher.tick();
        assertThat(posts).hasSize(2);
        status.set(202);
        clock.advance(Duration.ofMinutes(10));
        publisher.tick();
        assertThat(posts).hasSize(3);
        clock.advance(Duration.ofHours(5));
        publisher.tick();
        assertThat(posts).hasSize(3);
        // RPT-16: every attempt sends the same report
        assertThat(posts).extracting(Post::body).allSatisfy(b -> assertThat(b).isEqualTo(posts.get(0).body()));
        assertThat(spool.stored()).hasSize(1);
        assertThat(new ReportLedger(db).describe(A, DAY)).anySatisfy(s -> assertThat(s).startsWith("https://").contains("delivered attempts=3"));
    }

    // RPT-48: nothing after 24 h from the first attempt
    @Test
    void retriesStopADayAfterTheFirstAttempt() {
        recordTheDay();
        status.set(500);
        ReportPublisher publisher = publisher(4);
        clock.set(NEXT_MIDNIGHT.plus(Duration.ofHours(5)));
        Instant first = clock.instant();
        for (int i = 0; i < 40; i++) {
            publisher.tick();
            clock.advance(Duration.ofHours(1));
        }
        assertThat(posts).hasSizeBetween(6, 12);
        assertThat(posts).allSatisfy(p -> assertThat(p.at()).isBeforeOrEqualTo(first.plus(Duration.ofHours(24))));
        assertThat(new ReportLedger(db).describe(A, DAY)).anySatisfy(s -> assertThat(s).startsWith("https://").contains("undelivered"));
    }

    @Test
    void aDnsFailureIsAskedAgainOnTheNextTick() {
        recordTheDay();
        dns.servfail("_smtp._tls.a");
        ReportPublisher publisher = publisher(5);
        clock.set(NEXT_MIDNIGHT.plus(Duration.ofHours(5)));
        publisher.tick();
        assertThat(new ReportLedger(db).exists(A, DAY)).isFalse();
        assertThat(spool.stored()).isEmpty();
        dns.heal();
        clock.advance(Duration.ofMinutes(1));
        publisher.tick();
        assertThat(spool.stored()).hasSize(1);
        assertThat(posts).hasSize(1);
    }

    // issue 5: once per domain and day also with several workers
    @Test
    void twoWorkersSendOneReport() throws Exception {
        recordTheDay();
        clock.set(NEXT_MIDNIGHT.plus(Duration.ofHours(5)));
        List<ReportPublisher> workers = List.of(publisher(6), publisher(7), publisher(8));
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (ReportPublisher w : workers) {
            Thread t = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                w.tick();
            });
            t.start();
            threads.add(t);
        }
        go.countDown();
        for (Thread t : threads) {
            t.join(20_000);
        }
        assertThat(spool.stored()).hasSize(1);
        assertThat(posts).hasSize(1);
    }

    // for `relay tlsrpt preview` and `relay tlsrpt send`: no window, no second report
    @Test
    void previewShowsTheJsonAndPublishSendsAtOnce() throws IOException {
        recordTheDay();
        ReportPublisher publisher = publisher(9);
        clock.set(NEXT_MIDNIGHT);
        JsonNode json = JsonMapper.builder().build().readTree(publisher.preview(A, DAY).orElseThrow());
        assertThat(policy(json, "sts").at("/summary/total-successful-session-count").asLong()).isEqualTo(10);
        assertThat(publisher.preview(Domain.parse("c.example.test"), DAY)).isEmpty();
        assertThat(spool.stored()).isEmpty();

        assertThat(publisher.publish(DAY)).isEqualTo(2);
        publisher.attemptDue();
        assertThat(spool.stored()).hasSize(1);
        assertThat(posts).hasSize(1);
        assertThat(publisher.publish(DAY)).isZero();
    }

    @Test
    void oldDaysAreForgotten() {
        recordTheDay();
        ReportPublisher publisher = publisher(10);
        clock.set(NEXT_MIDNIGHT.plus(Duration.ofHours(5)));
        publisher.tick();
        TlsReportStore counts = new TlsReportStore(db);
        ReportLedger ledger = new ReportLedger(db);
        clock.set(NEXT_MIDNIGHT.plus(Duration.ofDays(ReportPublisher.KEEP_DAYS - 1)));
        publisher.tick();
        assertThat(counts.results(A, DAY)).isNotEmpty();
        assertThat(ledger.exists(A, DAY)).isTrue();
        clock.set(NEXT_MIDNIGHT.plus(Duration.ofDays(ReportPublisher.KEEP_DAYS)));
        publisher.tick();
        assertThat(counts.results(A, DAY)).isEmpty();
        assertThat(ledger.exists(A, DAY)).isFalse();
        assertThat(ledger.describe(A, DAY)).isEmpty();
        assertThat(spool.stored()).hasSize(1);
    }

    // RFC 8460 §3 and RFC 8689 §5 (RPT-45, RPT-34): the mailed report goes into the queue with
    // TLS-Required: No, which the delivery agent honours past the recipient's policy and never counts
    @Test
    void theMailedReportIsQueuedWithTlsRequiredNo() throws Exception {
        recordTheDay();
        clock.set(NEXT_MIDNIGHT.plus(Duration.ofHours(5)));
        publisher(11).tick();

        RecordingSpool.Stored stored = spool.single();
        assertThat(stored.envelope().tlsOptional()).isTrue();
        MimeMessage m = new MimeMessage(Session.getInstance(new java.util.Properties()), new ByteArrayInputStream(stored.bytes()));
        assertThat(m.getHeader("TLS-Required", null)).isEqualTo("No");
    }

    // RFC 8460 §3 (RPT-06): a record whose rua names no mailto: or https: URI gets no report
    @Test
    void aRecordWithNoUsableRuaGetsNoReport() throws IOException {
        dns.setZone("_smtp._tls.a TXT \"v=TLSRPTv1; rua=ftp://rpt.example.test/r\"\nrpt A 127.0.0.1\n");
        recordTheDay();
        clock.set(NEXT_MIDNIGHT.plus(Duration.ofHours(5)));
        publisher(12).tick();

        assertThat(spool.stored()).isEmpty();
        assertThat(posts).isEmpty();
        assertThat(new ReportLedger(db).outcome(A, DAY)).hasValueSatisfying(o -> assertThat(o).contains("invalid TLSRPT record"));
    }

    private static JsonNode policy(JsonNode report, String type) {
        for (JsonNode p : report.get("policies")) {
            if (p.at("/policy/policy-type").asText().equals(type)) {
                return p;
            }
        }
        throw new AssertionError("no policy of type " + type + " in " + report);
    }

    private static List<String> countsByType(JsonNode policy) {
        List<String> out = new ArrayList<>();
        policy.get("failure-details").forEach(d -> out.add(d.get("result-type").asText() + "=" + d.get("failed-session-count").asLong()));
        return out;
    }
}
