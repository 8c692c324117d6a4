package relay.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each {@code relay queue} command run in-process against a running relay's admin server, with
 * its output and exit code; and the errors an operator meets, each one sentence.
 */
class QueueCliIT {

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

    record Run(int exit, String out, String err) {
    }

    private static Run relay(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(exit, out.toString(), err.toString());
    }

    private Run queue(String... args) {
        List<String> all = new ArrayList<>(List.of("queue"));
        all.addAll(List.of(args));
        all.addAll(List.of("--admin", r.admin().toString()));
        return relay(all.toArray(String[]::new));
    }

    private void awaitAttempts(String id, int attempts) {
        await().atMost(WAIT).until(() -> {
            var rcpts = r.relay.queue().recipients(new relay.core.mail.QueueId(id));
            return rcpts.size() == 1 && rcpts.get(0).state().equals("DEFERRED") && rcpts.get(0).attempts() == attempts;
        });
    }

    @Test
    void listShowRetryFlushAndDelete() throws Exception {
        r = new RunningRelay(dir, Map.of());
        r.mx.rejectRecipient("stuck@example.test", 450, "4.2.1 mailbox busy", 100);
        String id = r.submit("carol@example.test", List.of("stuck@example.test"), "stuck");
        awaitAttempts(id, 1);

        Run list = queue("list");
        assertThat(list.exit()).as(list.err()).isZero();
        assertThat(list.out().lines().toList()).hasSize(3);
        assertThat(list.out().lines().findFirst().orElseThrow()).startsWith("ID").contains("RECIPIENT", "STATE", "LAST");
        assertThat(list.out()).contains(id, "carol@example.test", "stuck@example.test", "deferred", "4.2.1")
                .endsWith("1 message\n");

        Run json = queue("list", "--json");
        assertThat(json.exit()).isZero();
        JsonNode parsed = new ObjectMapper().readTree(json.out());
        assertThat(parsed.get(0).get("id").asText()).isEqualTo(id);
        assertThat(parsed.get(0).get("recipients").get(0).get("attempts").asInt()).isEqualTo(1);

        Run show = queue("show", id);
        assertThat(show.exit()).isZero();
        assertThat(show.out()).contains("id:       " + id, "sender:   carol@example.test", "recipient:    stuck@example.test",
                "state:        deferred", "attempts:     1", "last reply:   450 4.2.1 mailbox busy",
                "remote MTA:   mx1.example.test");

        Run retry = queue("retry", id);
        assertThat(retry.exit()).isZero();
        assertThat(retry.out()).isEqualTo(id + ": 1 deferred recipient made due now\n");
        awaitAttempts(id, 2);

        Run flush = queue("flush");
        assertThat(flush.exit()).isZero();
        assertThat(flush.out()).isEqualTo("flush: 1 deferred recipient made due now\n");
        awaitAttempts(id, 3);

        Run delete = queue("delete", id);
        assertThat(delete.exit()).isZero();
        assertThat(delete.out()).isEqualTo(id + ": deleted (no bounce sent)\n");
        assertThat(queue("list").out()).isEqualTo("the queue is empty\n");

        Run gone = queue("show", id);
        assertThat(gone.exit()).isEqualTo(1);
        assertThat(gone.err()).isEqualTo("relay: no message " + id + " in the queue\n");
        assertThat(r.mx.received()).as("no bounce").isEmpty();
    }

    @Test
    void findsTheAdminServerFromTheConfigurationFile() throws Exception {
        r = new RunningRelay(dir, Map.of());
        Path cfg = dir.resolve("cli.yaml");
        Files.writeString(cfg, "admin:\n  port: " + r.relay.adminPort() + "\n");

        Run list = relay("queue", "list", "--config", cfg.toString());

        assertThat(list.exit()).as(list.err()).isZero();
        assertThat(list.out()).isEqualTo("the queue is empty\n");
    }

    @Test
    void theTokenIsNeededWhenConfigured() throws Exception {
        r = new RunningRelay(dir, Map.of("RELAY_ADMIN_TOKEN", "s3cret"));

        Run without = queue("list");
        assertThat(without.exit()).isEqualTo(1);
        assertThat(without.err()).startsWith("relay: the relay's admin server at " + r.admin() + " refused the request: ")
                .contains("--token").doesNotContain("Exception");

        Run with = queue("list", "--token", "s3cret");
        assertThat(with.exit()).as(with.err()).isZero();
        assertThat(with.out()).isEqualTo("the queue is empty\n");
    }

    @Test
    void anUnreachableAdminServerIsOneSentence() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }

        Run run = relay("queue", "flush", "--admin", "http://127.0.0.1:" + closed);

        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err()).isEqualTo("relay: cannot reach the relay's admin server at http://127.0.0.1:" + closed
                + "/: connection refused\n");
        assertThat(run.out()).isEmpty();
    }

    @Test
    void aMalformedIdIsRefusedBeforeAnythingIsSent() {
        Run run = relay("queue", "delete", "../../etc", "--admin", "http://127.0.0.1:1");

        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err()).startsWith("relay: '../../etc' is not a queue id").doesNotContain("\tat ");
    }
}
