package relay.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import relay.app.metrics.PrometheusText;

/**
 * The admin HTTP server of a running relay: the metrics page parsed after known traffic, the
 * health checks (ready, and not ready when the disk is short), each queue view and action, and
 * the bearer token.
 */
class AdminHttpIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;
    private RunningRelay r;

    @AfterEach
    void stop() {
        if (r != null) {
            r.close();
        }
    }

    private PrometheusText metrics() throws Exception {
        HttpResponse<String> page = r.http("GET", "metrics");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
        return PrometheusText.parse(page.body());
    }

    private JsonNode json(HttpResponse<String> response) throws Exception {
        return JSON.readTree(response.body());
    }

    /** Waits for the queue to show the message's only recipient deferred {@code attempts} times. */
    private JsonNode deferred(String id, int attempts) throws Exception {
        await().atMost(WAIT).until(() -> {
            HttpResponse<String> m = r.http("GET", "queue/" + id);
            JsonNode rcpt = json(m).path("recipients").path(0);
            return m.statusCode() == 200 && rcpt.path("state").asText().equals("deferred")
                    && rcpt.path("attempts").asInt() == attempts;
        });
        return json(r.http("GET", "queue/" + id));
    }

    @Test
    void theMetricsPageCountsKnownTraffic() throws Exception {
        r = new RunningRelay(dir, Map.of());
        r.mx.rejectRecipient("nobody@example.test", 550, "5.1.1 no such user", 1);
        r.mx.rejectRecipient("later@example.test", 450, "4.7.1 greylisted", 1);
        r.submit("alice@example.test", List.of("bob@example.test", "nobody@example.test"), "one");
        r.submit("carol@example.test", List.of("later@example.test"), "two");
        try (SmtpClient c = new SmtpClient("127.0.0.1", r.relay.smtpPort())) {
            SmtpClient.expect(c.reply(), "220");
            SmtpClient.expect(c.send("EHLO app.example.test"), "250");
            SmtpClient.expect(c.send("MAIL FROM:<big@example.test> SIZE=999999999999"), "552");
        }

        // bob delivered, nobody bounced, its DSN to alice delivered; later deferred once
        await().atMost(WAIT).until(() -> {
            PrometheusText p = metrics();
            return p.get("relay_recipients_delivered_total") == 2.0 && p.get("relay_recipients_bounced_total") == 1.0
                    && p.get("relay_recipients_deferred_total") == 1.0;
        });
        PrometheusText p = metrics();
        assertThat(p.get("relay_messages_accepted_total")).isEqualTo(2.0);
        assertThat(p.get("relay_messages_rejected_total{reason=\"message-too-large\"}")).isEqualTo(1.0);
        assertThat(p.get("relay_messages_rejected_total{reason=\"relay-denied\"}")).isZero();
        assertThat(p.get("relay_delivery_latency_seconds_count")).isEqualTo(2.0);
        assertThat(p.get("relay_tls_sessions_total{result=\"success\"}")).isGreaterThanOrEqualTo(1.0);
        assertThat(p.get("relay_tls_sessions_total{result=\"certificate-not-trusted\"}")).isZero();
        assertThat(p.get("relay_queue_messages")).as("later waits for its retry").isEqualTo(1.0);
        assertThat(p.get("relay_queue_oldest_age_seconds")).isGreaterThan(0.0).isLessThan(WAIT.toSeconds());
        assertThat(p.has("hikaricp_connections")).as("the H2 pool").isTrue();
        assertThat(p.has("jvm_memory_used_bytes")).isTrue();
        assertThat(p.has("jvm_gc_")).isTrue();
    }

    @Test
    void readyWhenAllChecksPassAndLiveAlways() throws Exception {
        r = new RunningRelay(dir, Map.of());

        HttpResponse<String> ready = r.http("GET", "health/ready");
        assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
        JsonNode body = json(ready);
        assertThat(body.get("status").asText()).isEqualTo("ready");
        assertThat(body.get("checks")).extracting(c -> c.get("check").asText())
                .containsExactly("database", "smtp-listener", "disk");
        assertThat(body.get("checks")).allSatisfy(c -> assertThat(c.get("ok").asBoolean()).isTrue());
        assertThat(r.http("GET", "health/live").statusCode()).isEqualTo(200);
        assertThat(r.http("POST", "health/ready").statusCode()).isEqualTo(405);
    }

    @Test
    void notReadyWhenTheDiskHasLessFreeSpaceThanTheMinimum() throws Exception {
        Files.createDirectories(dir.resolve("data"));
        long free = Files.getFileStore(dir.resolve("data")).getUsableSpace();
        r = new RunningRelay(dir, Map.of("RELAY_DATA_MIN_FREE_SPACE", String.valueOf(free + (1L << 40))));

        HttpResponse<String> ready = r.http("GET", "health/ready");

        assertThat(ready.statusCode()).isEqualTo(503);
        JsonNode body = json(ready);
        assertThat(body.get("status").asText()).isEqualTo("not-ready");
        JsonNode disk = body.get("checks").get(2);
        assertThat(disk.get("check").asText()).isEqualTo("disk");
        assertThat(disk.get("ok").asBoolean()).isFalse();
        assertThat(disk.get("detail").asText()).contains("MiB free in");
        assertThat(body.get("checks").get(0).get("ok").asBoolean()).as("the database answers").isTrue();
        assertThat(r.http("GET", "health/live").statusCode()).as("alive all the same").isEqualTo(200);
    }

    @Test
    void listShowAndRetryADeferredMessage() throws Exception {
        r = new RunningRelay(dir, Map.of());
        r.mx.rejectRecipient("later@example.test", 450, "4.7.1 greylisted", 1);
        String id = r.submit("carol@example.test", List.of("later@example.test"), "two");
        JsonNode shown = deferred(id, 1);

        JsonNode rcpt = shown.get("recipients").get(0);
        assertThat(shown.get("id").asText()).isEqualTo(id);
        assertThat(shown.get("sender").asText()).isEqualTo("carol@example.test");
        assertThat(shown.get("arrival").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
        assertThat(rcpt.get("address").asText()).isEqualTo("later@example.test");
        assertThat(rcpt.get("lastStatus").asText()).isEqualTo("4.7.1");
        assertThat(rcpt.get("lastReply").asText()).contains("450 4.7.1 greylisted");
        assertThat(rcpt.get("remoteMta").asText()).isEqualTo("mx1.example.test");
        JsonNode list = json(r.http("GET", "queue"));
        assertThat(list).hasSize(1);
        assertThat(list.get(0)).isEqualTo(shown);

        HttpResponse<String> retry = r.http("POST", "queue/" + id + "/retry");

        assertThat(retry.statusCode()).isEqualTo(200);
        assertThat(json(retry).get("recipients").asInt()).isEqualTo(1);
        await().atMost(WAIT).until(() -> r.mx.received().size() == 1);
        await().atMost(WAIT).until(() -> r.http("GET", "queue/" + id).statusCode() == 404);
        assertThat(json(r.http("GET", "queue"))).isEmpty();
    }

    @Test
    void flushAndDelete() throws Exception {
        r = new RunningRelay(dir, Map.of());
        r.mx.rejectRecipient("stuck@example.test", 450, "4.2.1 mailbox busy", 100);
        String id = r.submit("carol@example.test", List.of("stuck@example.test"), "stuck");
        deferred(id, 1);

        HttpResponse<String> flush = r.http("POST", "queue/flush");

        assertThat(flush.statusCode()).isEqualTo(200);
        assertThat(json(flush).get("recipients").asInt()).isEqualTo(1);
        deferred(id, 2);

        HttpResponse<String> delete = r.http("DELETE", "queue/" + id);

        assertThat(delete.statusCode()).isEqualTo(200);
        assertThat(r.http("GET", "queue/" + id).statusCode()).isEqualTo(404);
        assertThat(json(r.http("DELETE", "queue/" + id)).get("error").asText()).isEqualTo("no message " + id + " in the queue");
        assertThat(r.mx.received()).as("no DSN").isEmpty();
        assertThat(r.relay.queue().depth().messages()).isZero();
    }

    @Test
    void badRequestsAreOneSentence() throws Exception {
        r = new RunningRelay(dir, Map.of());

        assertThat(r.http("GET", "queue/0000000000AAAAAAAA").statusCode()).isEqualTo(404);
        HttpResponse<String> bad = r.http("POST", "queue/not-an-id/retry");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(json(bad).get("error").asText()).isEqualTo("'not-an-id' is not a queue id");
        assertThat(r.http("GET", "queue/flush").statusCode()).isEqualTo(405);
        assertThat(r.http("GET", "queue?limit=0").statusCode()).isEqualTo(400);
        assertThat(r.http("GET", "nothing-here").statusCode()).isEqualTo(404);
    }

    @Test
    void anAdminPortInUseStopsStartUpWithOneSentence() throws Exception {
        try (ServerSocket busy = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            int port = busy.getLocalPort();

            assertThatThrownBy(() -> new RunningRelay(dir, Map.of("RELAY_ADMIN_PORT", String.valueOf(port))))
                    .isInstanceOf(IOException.class)
                    .hasMessage("cannot listen for admin HTTP on 127.0.0.1:" + port + ": Address already in use");
        }
        // everything started before the admin server was stopped again: the data directory reopens
        r = new RunningRelay(dir, Map.of());
        assertThat(r.http("GET", "health/ready").statusCode()).isEqualTo(200);
    }

    @Test
    void withATokenEverythingButTheHealthChecksNeedsIt() throws Exception {
        r = new RunningRelay(dir, Map.of("RELAY_ADMIN_TOKEN", "s3cret"));

        HttpResponse<String> none = r.http("GET", "metrics");
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
        assertThat(r.http("GET", "metrics", "wrong").statusCode()).isEqualTo(401);
        assertThat(r.http("GET", "queue").statusCode()).isEqualTo(401);
        assertThat(r.http("POST", "queue/flush", "s3cre").statusCode()).isEqualTo(401);
        assertThat(r.http("GET", "metrics", "s3cret").statusCode()).isEqualTo(200);
        assertThat(r.http("GET", "queue", "s3cret").statusCode()).isEqualTo(200);
        assertThat(r.http("GET", "health/ready").statusCode()).isEqualTo(200);
        assertThat(r.http("GET", "health/live").statusCode()).isEqualTo(200);
    }
}
