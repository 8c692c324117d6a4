package relay.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
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
import relay.core.testing.Loopback;
import relay.core.testing.MiniDns;
import relay.core.testing.TestMx;
import relay.core.testing.TestPki;

/**
 * {@code relay sts check} and {@code relay sts cache}, run in-process as an operator would, against
 * loopback peers: a wire-format DNS server for {@code example.test}, an HTTPS policy host and
 * receiving MX hosts with a throwaway CA. One check per exit code; the cache commands against a
 * running relay whose delivery filled the cache.
 */
class StsCliIT {

    private static final String ENFORCE_MX1 = "version: STSv1\nmode: enforce\nmx: mx1.example.test\nmax_age: 86400\n";
    private static final String TOKEN = "s3cret-token";

    @TempDir
    Path dir;

    private final TestPki pki = TestPki.create("STS CLI Test CA");
    private final AtomicReference<String> policy = new AtomicReference<>(ENFORCE_MX1);
    private final AtomicInteger status = new AtomicInteger(200);
    private final AtomicInteger fetches = new AtomicInteger();
    private final List<AutoCloseable> open = new ArrayList<>();
    private HttpsServer policyHost;
    private MiniDns dns;
    private int mxPort;
    private Path config;
    private Relay relay;

    record Run(int exit, String out, String err) {
    }

    @BeforeEach
    void peers() throws Exception {
        mxPort = Loopback.commonFreePort(List.of(Loopback.host(2), Loopback.host(3)));
        dns = Loopback.retryingBind(() -> MiniDns.start("example.test", "@ MX 10 mx1\nmx1 A 127.0.0.2\n"
                + "mx2 A 127.0.0.3\n_mta-sts TXT \"v=STSv1; id=20261122\"\nmta-sts A 127.0.0.1\n"));
        policyHost = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 50);
        policyHost.setHttpsConfigurator(new HttpsConfigurator(pki.issue("mta-sts.example.test").serverContext()));
        policyHost.setExecutor(Executors.newCachedThreadPool());
        policyHost.createContext("/.well-known/mta-sts.txt", exchange -> {
            fetches.incrementAndGet();
            byte[] b = policy.get().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain");
            exchange.sendResponseHeaders(status.get(), b.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(b);
            }
        });
        policyHost.start();
        config = writeConfig();
    }

    private Path writeConfig() throws Exception {
        Path ca = dir.resolve("ca.pem");
        Files.writeString(ca, "-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(pki.caCertificate().getEncoded())
                + "\n-----END CERTIFICATE-----\n");
        Path file = dir.resolve("relay.yaml");
        Files.writeString(file, String.join("\n",
                "hostname: relay.test",
                "data:",
                "  dir: " + dir.resolve("data"),
                "smtp:",
                "  port: 0",
                "admin:",
                "  port: 0",
                "  token: " + TOKEN,
                "dns:",
                "  servers: [\"127.0.0.1:" + dns.address().getPort() + "\"]",
                "  timeout: 1s",
                "delivery:",
                "  port: " + mxPort,
                "  connect-timeout: 2s",
                "  dead-host-memory: 0s",
                "  extra-ca-files: [\"" + ca + "\"]",
                "queue:",
                "  poll-interval: 100ms",
                "mta-sts:",
                "  https-port: " + policyHost.getAddress().getPort(),
                "  connect-timeout: 2s",
                "  fetch-timeout: 5s") + "\n");
        return file;
    }

    private TestMx mx(int n, String certificateName) {
        TestMx mx = TestMx.on(Loopback.host(n + 1), mxPort).hostName("mx" + n + ".example.test")
                .tls(pki.issue(certificateName).serverContext()).start();
        open.add(mx);
        return mx;
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

    private static Run relay(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(exit, out.toString(), err.toString());
    }

    private Run check(String... more) {
        List<String> args = new ArrayList<>(List.of("sts", "check", "example.test", "--config", config.toString()));
        args.addAll(List.of(more));
        return relay(args.toArray(String[]::new));
    }

    private String admin() {
        return "http://127.0.0.1:" + relay.adminPort() + "/";
    }

    private Run cache(String... args) {
        List<String> all = new ArrayList<>(List.of("sts", "cache"));
        all.addAll(List.of(args));
        all.addAll(List.of("--admin", admin(), "--token", TOKEN));
        return relay(all.toArray(String[]::new));
    }

    // ---- relay sts check: one test per exit code

    /** RFC 8461 §3-§5 all passing: record, policy, listed MX with STARTTLS and a verified certificate: exit 0. */
    @Test
    void aValidEnforcePolicyWithAPassingMxExitsZero() {
        TestMx mx1 = mx(1, "mx1.example.test");

        Run r = check();

        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("record:  found, id=20261122")
                .contains("policy:  mode enforce, max_age 86400, mx mx1.example.test")
                .containsPattern("mx1\\.example\\.test\\s+10\\s+yes\\s+yes\\s+TLSv1\\.[23]\\s+certificate verified")
                .endsWith("result:  deliver to mx1.example.test with verified TLS\n");
        assertThat(r.err()).isEmpty();
        assertThat(mx1.mailCommands()).as("a probe never sends mail").isZero();
        assertThat(mx1.connections()).isEqualTo(1);
    }

    /** No cache: a second check fetches the policy again. */
    @Test
    void everyCheckFetchesThePolicyAfresh() {
        mx(1, "mx1.example.test");

        assertThat(check().exit()).isZero();
        assertThat(check().exit()).isZero();

        assertThat(fetches).hasValue(2);
    }

    /** STS-58: a certificate naming another host fails the MX: exit 1, the verdict and a deferral printed. */
    @Test
    void aWrongNameCertificateOnTheMxExitsOneWithTheVerdict() {
        mx(1, "other.example.test");

        Run r = check();

        assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(1);
        assertThat(r.out()).contains("certificate name mismatch: mx1.example.test not in [other.example.test]")
                .contains("(certificate-host-mismatch)")
                .endsWith("result:  defer: no MX passes the enforce policy\n");
    }

    /** Testing mode with an MX the policy does not list: a sender delivers and reports; still exit 1. */
    @Test
    void testingModeWithAnUnlistedMxExitsOneAndSaysFailuresAreReported() throws Exception {
        dns.setZone("@ MX 10 mx2\nmx2 A 127.0.0.3\n_mta-sts TXT \"v=STSv1; id=2\"\nmta-sts A 127.0.0.1\n");
        policy.set("version: STSv1\nmode: testing\nmx: mx1.example.test\nmax_age: 600\n");
        mx(2, "mx2.example.test");

        Run r = check();

        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.out()).containsPattern("mx2\\.example\\.test\\s+10\\s+no\\s+yes")
                .endsWith("result:  testing: would deliver, failures reported\n");
    }

    /** RFC 8461 §3.3: a record but a 404 from the policy host: exit 2 with the RFC 8460 result type. */
    @Test
    void aPolicyHostAnswering404ExitsTwo() {
        status.set(404);
        mx(1, "mx1.example.test");

        Run r = check();

        assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(2);
        assertThat(r.out()).contains("record:  found, id=20261122").contains("policy:  sts-policy-fetch-error: ")
                .contains("404").contains("result:  no usable policy");
    }

    /** RFC 8461 §3.2: a policy that does not parse is exit 2 too, reported as sts-policy-invalid. */
    @Test
    void anInvalidPolicyExitsTwo() {
        policy.set("version: STSv1\nmode: Enforce\nmx: mx1.example.test\nmax_age: 86400\n");

        Run r = check();

        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.out()).contains("policy:  sts-policy-invalid: the policy is invalid: line 2");
    }

    /** SERVFAIL for the TXT name: exit 3, one line of why, no stack trace. */
    @Test
    void aServfailExitsThree() {
        dns.servfail("_mta-sts");

        Run r = check();

        assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(3);
        assertThat(r.out()).contains("_mta-sts.example.test TXT lookup failed").contains("result:  defer:")
                .doesNotContain("Exception");
        assertThat(fetches).hasValue(0);
    }

    /** No record at all: opportunistic TLS, exit 0 with the note; the MX is still probed. */
    @Test
    void noRecordIsOpportunisticTlsAndExitsZero() throws Exception {
        dns.setZone("@ MX 10 mx1\nmx1 A 127.0.0.2\n");
        mx(1, "other.example.test");

        Run r = check();

        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("record:  no MTA-STS record").containsPattern("mx1\\.example\\.test\\s+10\\s+-\\s+yes")
                .endsWith("result:  no policy: opportunistic TLS\n");
    }

    /** --json: the same report for scripts. */
    @Test
    void jsonIsTheReportAsData() throws Exception {
        mx(1, "other.example.test");

        Run r = check("--json");

        assertThat(r.exit()).isEqualTo(1);
        JsonNode json = new ObjectMapper().readTree(r.out());
        assertThat(json.get("outcome").asText()).isEqualTo("MX_FAILS");
        assertThat(json.get("recordId").asText()).isEqualTo("20261122");
        assertThat(json.get("policy").get("mode").asText()).isEqualTo("enforce");
        JsonNode mx = json.get("mx").get(0);
        assertThat(mx.get("host").asText()).isEqualTo("mx1.example.test");
        assertThat(mx.get("listed").asBoolean()).isTrue();
        assertThat(mx.get("startTls").asBoolean()).isTrue();
        assertThat(mx.get("resultType").asText()).isEqualTo("certificate-host-mismatch");
        assertThat(mx.get("passes").asBoolean()).isFalse();
    }

    /** Usage errors are 64 and one sentence. */
    @Test
    void aBadDomainOrAMissingOneIsAUsageError() {
        Run bad = relay("sts", "check", "exa mple..test");
        assertThat(bad.exit()).isEqualTo(64);
        assertThat(bad.err()).contains("'exa mple..test' is not a domain name").doesNotContain("Exception");

        assertThat(relay("sts", "check").exit()).isEqualTo(64);
    }

    // ---- relay sts cache, against a running relay

    private void deliverOnce() throws Exception {
        TestMx mx1 = mx(1, "mx1.example.test");
        relay = Relay.start(new ConfigLoader(Map.of()).load(Optional.of(config)), Optional.empty(), Clock.systemUTC());
        try (SmtpClient c = new SmtpClient("127.0.0.1", relay.smtpPort())) {
            SmtpClient.expect(c.reply(), "220");
            SmtpClient.expect(c.send("EHLO app.example.test"), "250");
            SmtpClient.expect(c.send("MAIL FROM:<alice@example.org>"), "250");
            SmtpClient.expect(c.send("RCPT TO:<bob@example.test>"), "250");
            SmtpClient.expect(c.send("DATA"), "354");
            c.write("Subject: sts\r\n\r\nHello Bob.\r\n.\r\n");
            SmtpClient.expect(c.reply(), "250");
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> mx1.received().size() == 1);
    }

    @Test
    void listShowAndPurgeTheCachedPolicy() throws Exception {
        deliverOnce();

        Run list = cache("list");
        assertThat(list.exit()).as(list.err()).isZero();
        assertThat(list.out().lines().findFirst().orElseThrow()).startsWith("DOMAIN").contains("ID", "MODE", "EXPIRES");
        assertThat(list.out()).containsPattern("example\\.test\\s+20261122\\s+enforce\\s+86400")
                .contains("mx1.example.test").endsWith("1 policy\n");

        Run json = cache("list", "--json");
        JsonNode first = new ObjectMapper().readTree(json.out()).get(0);
        assertThat(first.get("domain").asText()).isEqualTo("example.test");
        assertThat(first.get("mx").get(0).asText()).isEqualTo("mx1.example.test");
        assertThat(first.hasNonNull("expires")).isTrue();
        assertThat(first.hasNonNull("lastUsed")).isTrue();

        Run show = cache("show", "example.test");
        assertThat(show.exit()).as(show.err()).isZero();
        assertThat(show.out()).contains("id:        20261122", "mode:      enforce", "policy:\n  version: STSv1\n"
                + "  mode: enforce\n  mx: mx1.example.test\n  max_age: 86400\n");

        Run purge = cache("purge", "example.test");
        assertThat(purge.exit()).as(purge.err()).isZero();
        assertThat(purge.out()).isEqualTo("example.test: cached policy purged\n");

        Run empty = cache("list");
        assertThat(empty.exit()).isZero();
        assertThat(empty.out()).isEqualTo("no MTA-STS policy is cached\n");
        assertThat(cache("list", "--json").out().strip()).isEqualTo("[ ]");
    }

    @Test
    void aWrongTokenAndAnUnknownDomainAreOneSentenceAndExitOne() throws Exception {
        deliverOnce();

        Run wrong = relay("sts", "cache", "list", "--admin", admin(), "--token", "wrong");
        assertThat(wrong.exit()).isEqualTo(1);
        assertThat(wrong.err()).contains("the bearer token is wrong").doesNotContain("Exception");
        assertThat(wrong.out()).isEmpty();

        Run purgeWrong = relay("sts", "cache", "purge", "example.test", "--admin", admin(), "--token", "wrong");
        assertThat(purgeWrong.exit()).isEqualTo(1);
        assertThat(cache("list").out()).as("nothing purged without the token").contains("example.test");

        Run unknown = cache("show", "nowhere.test");
        assertThat(unknown.exit()).isEqualTo(1);
        assertThat(unknown.err().strip()).isEqualTo("relay: no MTA-STS policy of nowhere.test is cached");
        assertThat(cache("purge", "nowhere.test").err()).contains("no MTA-STS policy of nowhere.test is cached");
    }
    private java.net.http.HttpResponse<String> http(String method, String path, boolean withToken) throws Exception {
        var request = java.net.http.HttpRequest.newBuilder(java.net.URI.create(admin() + path))
                .method(method, java.net.http.HttpRequest.BodyPublishers.noBody());
        if (withToken) {
            request.header("Authorization", "Bearer " + TOKEN);
        }
        return java.net.http.HttpClient.newHttpClient().send(request.build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
    }

    /** The routes themselves: the token guards them, wrong methods and names are refused with one sentence. */
    @Test
    void theCacheRoutesRefuseWhatTheyDoNotServe() throws Exception {
        deliverOnce();

        assertThat(http("GET", "sts/cache", false).statusCode()).isEqualTo(401);
        assertThat(http("DELETE", "sts/cache/example.test", false).statusCode()).isEqualTo(401);
        var post = http("POST", "sts/cache", true);
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("Allow")).hasValue("GET");
        var bad = http("GET", "sts/cache/exa..mple", true);
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).contains("is not a domain name");
        assertThat(http("GET", "sts/cachex", true).statusCode()).isEqualTo(404);
        assertThat(http("GET", "sts/cache/example.test/x", true).statusCode()).isEqualTo(404);
        assertThat(http("GET", "sts/cache/EXAMPLE.test", true).statusCode()).as("names compare case-insensitively")
                .isEqualTo(200);
        assertThat(http("GET", "sts/cache/example.test", true).body()).contains("\"policyId\":\"20261122\"");
    }
}
