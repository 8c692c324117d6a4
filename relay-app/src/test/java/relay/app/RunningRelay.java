package relay.app;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import relay.core.testing.Loopback;
import relay.core.testing.MiniDns;
import relay.core.testing.TestMx;
import relay.core.testing.TestPki;

/**
 * A whole relay as the jar wires it, for the operating ITs: a DNS server for {@code example.test},
 * its STARTTLS MX on 127.0.0.2, the relay with SMTP and admin HTTP on ephemeral ports, and
 * {@code environment} as {@code RELAY_*} overrides. Also an SMTP submitter and an HTTP client.
 */
final class RunningRelay implements AutoCloseable {

    final Path dir;
    final MiniDns dns;
    final TestMx mx;
    final Relay relay;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    RunningRelay(Path dir, Map<String, String> environment) throws Exception {
        this.dir = dir;
        TestPki pki = TestPki.create("Relay Test CA");
        int port = Loopback.commonFreePort(List.of(Loopback.host(2)));
        mx = TestMx.on(Loopback.host(2), port).hostName("mx1.example.test")
                .tls(pki.issue("mx1.example.test").serverContext()).start();
        dns = Loopback.retryingBind(() -> MiniDns.start("example.test", """
                @ MX 10 mx1
                mx1 A 127.0.0.2
                """));
        Path ca = pki.writeCaPem(dir.resolve("ca.pem"));
        Path config = dir.resolve("relay.yaml");
        List<String> lines = TestConfigs.relay(dir, dns, port, ca);
        lines.addAll(List.of(
                "queue:",
                "  poll-interval: 100ms",
                ""));
        Files.writeString(config, String.join("\n", lines));
        try {
            relay = Relay.start(new ConfigLoader(environment).load(Optional.of(config)), Optional.empty(), Clock.systemUTC());
        } catch (Exception e) {
            mx.close();
            dns.close();
            throw e;
        }
    }

    /** The admin server's base URL, with its trailing slash. */
    URI admin() {
        return URI.create("http://127.0.0.1:" + relay.adminPort() + "/");
    }

    /** Submits one message over SMTP; returns its queue id. */
    String submit(String from, List<String> to, String subject) throws IOException {
        try (SmtpClient c = new SmtpClient("127.0.0.1", relay.smtpPort())) {
            SmtpClient.expect(c.reply(), "220");
            SmtpClient.expect(c.send("EHLO app.example.test"), "250");
            SmtpClient.expect(c.send("MAIL FROM:<" + from + ">"), "250");
            for (String rcpt : to) {
                SmtpClient.expect(c.send("RCPT TO:<" + rcpt + ">"), "250");
            }
            SmtpClient.expect(c.send("DATA"), "354");
            c.write("Subject: " + subject + "\r\n\r\nHello.\r\n.\r\n");
            String reply = c.reply();
            SmtpClient.expect(reply, "250");
            return reply.substring(reply.lastIndexOf(' ') + 1);
        }
    }

    /** One request to the admin server; {@code token} empty sends no Authorization. */
    HttpResponse<String> http(String method, String path, String token) throws IOException, InterruptedException {
        HttpRequest.Builder r = HttpRequest.newBuilder(admin().resolve(path)).timeout(Duration.ofSeconds(30))
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (!token.isEmpty()) {
            r.header("Authorization", "Bearer " + token);
        }
        return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> http(String method, String path) throws IOException, InterruptedException {
        return http(method, path, "");
    }

    @Override
    public void close() {
        relay.close();
        mx.close();
        dns.close();
    }
}
