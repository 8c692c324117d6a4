package relay.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import jakarta.mail.BodyPart;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.zip.GZIPInputStream;
import org.apache.james.jdkim.DKIMVerifier;
import org.apache.james.jdkim.api.SignatureRecord;
import org.apache.james.jdkim.impl.DNSPublicKeyRecordRetriever;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Lookup;
import org.xbill.DNS.SimpleResolver;
import relay.core.mail.Domain;
import relay.core.testing.Loopback;
import relay.core.testing.MiniDns;
import relay.core.testing.MutableClock;
import relay.core.testing.TestMx;
import relay.core.testing.TestPki;
import relay.sts.report.store.TlsReportStore;

/**
 * RFC 8460 through the whole relay: a day's deliveries to {@code example.test} (an MTA-STS
 * {@code enforce} domain whose best MX has a certificate for another name) are counted; once the
 * injected clock passes the day's send window the relay publishes one report, by mail through its
 * own queue (DKIM-signed, TLS-Required: No, so it reaches the very MX whose certificate fails) and
 * by HTTPS POST; the report's own session is not counted in the next day's report.
 */
class TlsRptRelayIT {

    /**
     * Yesterday, whole milliseconds (H2 keeps microseconds; a standing clock must not fall
     * between): the report then goes out today, so its DKIM signature time is not in the future
     * for a verifier on the real clock.
     */
    private static final Instant DAY_ONE = Instant.now().minus(Duration.ofDays(1))
            .truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
    private static final LocalDate TODAY = LocalDate.ofInstant(DAY_ONE, java.time.ZoneOffset.UTC);

    @TempDir
    Path dir;
    private final TestPki pki = TestPki.create("TLSRPT Relay Test CA");
    private final MutableClock clock = new MutableClock(DAY_ONE);
    private final List<byte[]> posted = new CopyOnWriteArrayList<>();
    private final List<String> postedTypes = new CopyOnWriteArrayList<>();
    private final List<AutoCloseable> open = new ArrayList<>();
    private HttpsServer web;
    private MiniDns dns;
    private TestMx mx1;
    private TestMx mx2;
    private KeyPair dkim;
    private Relay relay;

    @BeforeEach
    void peers() throws Exception {
        Lookup.getDefaultCache(DClass.IN).clearCache();
        int mxPort = Loopback.commonFreePort(List.of(Loopback.host(2), Loopback.host(3), Loopback.host(4),
                Loopback.host(5)));
        // MX 10 names another host in its certificate; MX 20 is right
        mx1 = TestMx.on(Loopback.host(2), mxPort).hostName("mx1.example.test")
                .tls(cert("wrong.example.test").serverContext()).start();
        mx2 = TestMx.on(Loopback.host(3), mxPort).hostName("mx2.example.test")
                .tls(cert("mx2.example.test").serverContext()).start();
        open.add(mx1);
        open.add(mx2);
        // the MX of expired.example.test has an expired certificate, that of plain.example.test no STARTTLS
        open.add(TestMx.on(Loopback.host(4), mxPort).hostName("mx3.example.test")
                .tls(pki.issue(DAY_ONE.minus(Duration.ofDays(30)), DAY_ONE.minus(Duration.ofDays(2)), "mx3.example.test")
                        .serverContext()).start());
        open.add(TestMx.on(Loopback.host(5), mxPort).hostName("mx4.example.test").start());
        web = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 50);
        web.setHttpsConfigurator(new HttpsConfigurator(cert("mta-sts.example.test", "reports.example.test",
                "mta-sts.expired.example.test", "mta-sts.plain.example.test", "mta-sts.broken.example.test").serverContext()));
        web.setExecutor(Executors.newCachedThreadPool());
        web.createContext("/.well-known/mta-sts.txt", exchange -> {
            byte[] b = "version: STSv1\nmode: enforce\nmx: *.example.test\nmax_age: 604800\n"
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain");
            if (exchange.getRequestHeaders().getFirst("Host").startsWith("mta-sts.broken.")) {
                exchange.sendResponseHeaders(404, -1); // broken.example.test: the policy cannot be fetched
                exchange.close();
                return;
            }
            exchange.sendResponseHeaders(200, b.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(b);
            }
        });
        web.createContext("/tlsrpt", exchange -> {
            postedTypes.add(exchange.getRequestHeaders().getFirst("Content-Type"));
            posted.add(exchange.getRequestBody().readAllBytes());
            exchange.sendResponseHeaders(201, -1);
            exchange.close();
        });
        web.start();
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        dkim = g.generateKeyPair();
        dns = Loopback.retryingBind(() -> MiniDns.start("example.test", String.join("\n",
                "@ MX 10 mx1", "@ MX 20 mx2", "mx1 A 127.0.0.2", "mx2 A 127.0.0.3",
                "_mta-sts TXT \"v=STSv1; id=1\"", "mta-sts A 127.0.0.1", "reports A 127.0.0.1",
                "mx3 A 127.0.0.4", "mx4 A 127.0.0.5",
                "expired MX 10 mx3", "plain MX 10 mx4", "broken MX 10 mx2",
                "_mta-sts.expired TXT \"v=STSv1; id=1\"", "_mta-sts.plain TXT \"v=STSv1; id=1\"",
                "_mta-sts.broken TXT \"v=STSv1; id=1\"",
                "mta-sts.expired A 127.0.0.1", "mta-sts.plain A 127.0.0.1", "mta-sts.broken A 127.0.0.1",
                "_smtp._tls.expired TXT \"v=TLSRPTv1; rua=https://reports.example.test:" + web.getAddress().getPort() + "/tlsrpt\"",
                "_smtp._tls.plain TXT \"v=TLSRPTv1; rua=https://reports.example.test:" + web.getAddress().getPort() + "/tlsrpt\"",
                "_smtp._tls.broken TXT \"v=TLSRPTv1; rua=https://reports.example.test:" + web.getAddress().getPort() + "/tlsrpt\"",
                "_smtp._tls TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@example.test,https://reports.example.test:"
                        + web.getAddress().getPort() + "/tlsrpt\"",
                "tlsrpt._domainkey TXT " + txt("v=DKIM1; k=rsa; s=email:tlsrpt; p="
                        + Base64.getEncoder().encodeToString(dkim.getPublic().getEncoded())), "")));
        startRelay(mxPort);
    }

    /** Valid well past the day after tomorrow, where the test moves the clock. */
    private TestPki.Leaf cert(String... names) {
        return pki.issue(DAY_ONE.minus(Duration.ofDays(1)), DAY_ONE.plus(Duration.ofDays(10)), names);
    }

    /** A TXT record split into character-strings of at most 255 octets. */
    private static String txt(String record) {
        List<String> strings = new ArrayList<>();
        for (int i = 0; i < record.length(); i += 200) {
            strings.add("\"" + record.substring(i, Math.min(record.length(), i + 200)) + "\"");
        }
        return String.join(" ", strings);
    }

    private void startRelay(int mxPort) throws Exception {
        Path ca = pki.writeCaPem(dir.resolve("ca.pem"));
        Path key = dir.resolve("dkim.key");
        Files.writeString(key, "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(dkim.getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n");
        config = dir.resolve("relay.yaml");
        List<String> lines = TestConfigs.relay(dir, dns, mxPort, ca);
        lines.addAll(List.of(
                "  dead-host-memory: 0s",
                "  max-idle-per-destination: 0", // a session per delivery, so each is counted
                "queue:",
                "  poll-interval: 100ms",
                "mta-sts:",
                "  https-port: " + web.getAddress().getPort(),
                "tlsrpt:",
                "  enabled: true",
                "  organization-name: Relay Test",
                "  contact-info: postmaster@reports.example.test",
                "  window: 1m",
                "  check-interval: 200ms",
                "  dkim:",
                "    domain: example.test",
                "    selector: tlsrpt",
                "    key-file: " + key,
                ""));
        Files.writeString(config, String.join("\n", lines));
        relay = Relay.start(new ConfigLoader(Map.of()).load(Optional.of(config)), Optional.empty(), clock);
    }

    @AfterEach
    void stop() throws Exception {
        if (relay != null) {
            relay.close();
        }
        for (AutoCloseable c : open) {
            c.close();
        }
        web.stop(0);
        dns.close();
    }

    private Path config;

    /** Runs the CLI in-process; returns exit code, stdout and stderr. */
    private static String[] cli(String... args) {
        java.io.PrintStream out = System.out;
        java.io.PrintStream err = System.err;
        java.io.ByteArrayOutputStream o = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream e = new java.io.ByteArrayOutputStream();
        try {
            System.setOut(new java.io.PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new java.io.PrintStream(e, true, StandardCharsets.UTF_8));
            int code = Main.execute(args);
            return new String[] {Integer.toString(code), o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8)};
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    /**
     * RFC 8460 §4.3: each failure type reaches the domain it happened at, in that domain's own
     * report: an expired certificate, no STARTTLS, and a policy that cannot be fetched.
     */
    @Test
    void eachFailureTypeIsReportedToItsDomain() throws Exception {
        send("bob@expired.example.test");
        send("bob@plain.example.test");
        send("bob@broken.example.test");
        // broken.example.test: no policy could be fetched, so it goes as without one, to mx2
        await().atMost(Duration.ofSeconds(20)).until(() -> mx2.received().size() == 1);
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            String m = metrics();
            return m.contains("result=\"certificate-expired\"} 1.0") && m.contains("result=\"starttls-not-supported\"} 1.0");
        });

        clock.set(TODAY.plusDays(1).atTime(0, 1, 30).toInstant(java.time.ZoneOffset.UTC));

        await().atMost(Duration.ofSeconds(30)).until(() -> posted.size() == 3);
        Map<String, JsonNode> byDomain = new java.util.HashMap<>();
        for (byte[] gz : posted) {
            JsonNode json = new ObjectMapper().readTree(new GZIPInputStream(new ByteArrayInputStream(gz)));
            byDomain.put(json.at("/policies/0/policy/policy-domain").asText(), json);
        }
        assertThat(byDomain).containsOnlyKeys("expired.example.test", "plain.example.test", "broken.example.test");
        assertThat(failures(byDomain.get("expired.example.test"))).containsExactly("certificate-expired");
        assertThat(failures(byDomain.get("plain.example.test"))).containsExactly("starttls-not-supported");
        assertThat(failures(byDomain.get("broken.example.test"))).containsExactly("sts-policy-fetch-error");
        // and broken.example.test's delivery, made without a policy, counts as a success under no-policy-found
        assertThat(byDomain.get("broken.example.test").get("policies").findValuesAsText("policy-type"))
                .contains("no-policy-found", "sts");
    }

    /** The result types of every failure-details entry of a report. */
    private static List<String> failures(JsonNode report) {
        List<String> types = new ArrayList<>();
        report.get("policies").forEach(p -> p.get("failure-details").forEach(f -> types.add(f.get("result-type").asText())));
        return types;
    }

    private String metrics() throws IOException {
        try (InputStream in = new java.net.URL("http://127.0.0.1:" + relay.adminPort() + "/metrics").openStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** {@code relay tlsrpt preview}: the day's JSON from the stopped relay's database. */
    @Test
    void previewPrintsTheDaysReportFromAStoppedRelay() throws Exception {
        send("bob@example.test");
        await().atMost(Duration.ofSeconds(20)).until(() -> mx2.received().size() == 1);

        relay.close();
        relay = null;
        String[] stopped = cli("tlsrpt", "preview", "--config", config.toString(), "--date", TODAY.toString());
        assertThat(stopped[0]).as(stopped[2]).isEqualTo("0");
        JsonNode json = new ObjectMapper().readTree(stopped[1]);
        assertThat(json.at("/policies/0/policy/policy-domain").asText()).isEqualTo("example.test");
        assertThat(json.at("/policies/0/summary/total-successful-session-count").asInt()).isEqualTo(1);
        assertThat(json.at("/policies/0/summary/total-failure-session-count").asInt()).isEqualTo(1);

        String[] empty = cli("tlsrpt", "preview", "--config", config.toString(), "--date", TODAY.minusDays(3).toString());
        assertThat(empty[0]).isEqualTo("1");
        assertThat(empty[2]).contains("no TLS sessions were counted on " + TODAY.minusDays(3));
    }

    private void send(String rcpt) throws IOException {
        try (SmtpClient c = new SmtpClient("127.0.0.1", relay.smtpPort())) {
            SmtpClient.expect(c.reply(), "220");
            SmtpClient.expect(c.send("EHLO app.example.test"), "250");
            SmtpClient.expect(c.send("MAIL FROM:<alice@[127.0.0.9]>"), "250");
            SmtpClient.expect(c.send("RCPT TO:<" + rcpt + ">"), "250");
            SmtpClient.expect(c.send("DATA"), "354");
            c.write("Subject: day one\r\n\r\nHello.\r\n.\r\n");
            assertThat(c.reply()).startsWith("250 ");
        }
    }

    @Test
    void yesterdaysSessionsReachTheDomainAsOneSignedReportByMailAndByHttps() throws Exception {
        send("bob@example.test");
        send("carol@example.test");
        await().atMost(Duration.ofSeconds(20)).until(() -> mx2.received().size() == 2);
        assertThat(mx1.mailCommands()).as("enforce: nothing sent to the MX whose certificate names another host").isZero();

        // the window is a minute: the report is due by 00:01:01
        clock.set(TODAY.plusDays(1).atTime(0, 1, 30).toInstant(java.time.ZoneOffset.UTC));

        await().atMost(Duration.ofSeconds(30)).until(() -> !posted.isEmpty()
                && mx1.received().stream().anyMatch(r -> r.recipients().contains("tlsrpt@example.test")));

        // RFC 8460 §5.4: the same report by HTTPS POST, gzipped JSON
        assertThat(postedTypes).containsOnly("application/tlsrpt+gzip");
        JsonNode json = new ObjectMapper().readTree(new GZIPInputStream(new ByteArrayInputStream(posted.get(0))));
        assertThat(json.get("organization-name").asText()).isEqualTo("Relay Test");
        assertThat(json.get("contact-info").asText()).isEqualTo("postmaster@reports.example.test");
        assertThat(json.at("/date-range/start-datetime").asText()).isEqualTo(TODAY + "T00:00:00Z");
        JsonNode policy = json.get("policies").get(0);
        assertThat(policy.at("/policy/policy-type").asText()).isEqualTo("sts");
        assertThat(policy.at("/policy/policy-domain").asText()).isEqualTo("example.test");
        assertThat(policy.at("/policy/policy-string/1").asText()).isEqualTo("mode: enforce");
        // each message: one failed session to MX 10 (wrong name), then one good one to MX 20
        assertThat(policy.at("/summary/total-successful-session-count").asInt()).isEqualTo(2);
        assertThat(policy.at("/summary/total-failure-session-count").asInt()).isEqualTo(2);
        JsonNode failure = policy.get("failure-details").get(0);
        assertThat(failure.get("result-type").asText()).isEqualTo("certificate-host-mismatch");
        assertThat(failure.get("receiving-mx-hostname").asText()).isEqualTo("mx1.example.test");
        assertThat(failure.get("receiving-ip").asText()).isEqualTo("127.0.0.2");
        assertThat(failure.get("failed-session-count").asInt()).isEqualTo(2);

        // RFC 8460 §5.3: by mail, to the MX whose certificate fails (TLS-Required: No, RPT-45)
        TestMx.Received mail = mx1.received().stream().filter(r -> r.recipients().contains("tlsrpt@example.test"))
                .findFirst().orElseThrow();
        assertThat(mail.sender()).isEqualTo("postmaster@reports.example.test");
        MimeMessage m = new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(mail.data()));
        assertThat(m.getContentType()).contains("multipart/report").contains("tlsrpt");
        assertThat(m.getHeader("TLS-Required", null)).isEqualTo("No");
        assertThat(m.getHeader("TLS-Report-Domain", null)).isEqualTo("example.test");
        assertThat(m.getHeader("TLS-Report-Submitter", null)).isEqualTo("reports.example.test");
        BodyPart attachment = ((MimeMultipart) m.getContent()).getBodyPart(1);
        assertThat(attachment.getContentType()).startsWith("application/tlsrpt+gzip");
        assertThat(attachment.getFileName()).startsWith("reports.example.test!example.test!").endsWith(".json.gz");
        try (InputStream gz = attachment.getInputStream()) {
            assertThat(new ObjectMapper().readTree(new GZIPInputStream(gz))).isEqualTo(json);
        }
        List<SignatureRecord> dkimOk = new DKIMVerifier(new DNSPublicKeyRecordRetriever(new SimpleResolver(dns.address())))
                .verify(new ByteArrayInputStream(mail.data()));
        assertThat(dkimOk).singleElement().satisfies(s -> assertThat(s.getDToken().toString()).isEqualTo("example.test"));

        // RFC 8460 §3 (RPT-34): the session that carried the report is not in the next day's counts
        relay.close();
        relay = null;
        JdbcDataSource db = new JdbcDataSource();
        db.setURL("jdbc:h2:file:" + dir.resolve("data").resolve("relay") + ";DB_CLOSE_ON_EXIT=FALSE");
        db.setUser("relay");
        TlsReportStore counts = new TlsReportStore(db);
        assertThat(counts.domains(TODAY.plusDays(1))).isEmpty();
        assertThat(counts.domains(TODAY)).containsExactly(new Domain("example.test"));
    }
}
