package relay.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RFC 5321 §6.1: once the relay has said 250 it must not lose the message. The relay runs as a
 * separate JVM from relay.jar, takes a burst of concurrent submissions, is killed with SIGKILL
 * in the middle of it, restarts on the same data directory, and must deliver every message
 * whose submission got a 250.
 */
class CrashRecoveryIT {

    private static final int SESSIONS = 20;

    @TempDir
    Path dir;
    private final List<Process> children = new ArrayList<>();

    @AfterEach
    void killChildren() {
        children.forEach(Process::destroyForcibly);
    }

    @Test
    void everyAcknowledgedMessageSurvivesKillMinusNineAndIsDelivered() throws Exception {
        int port = freePort();
        Path config = config(port, "  first-retry: 1s", "  max-retry: 2s");
        Path delivered = dir.resolve("delivered.log");

        // first life: deliveries are slow, so most accepted mail is still queued when it dies
        Process first = startRelay(config, delivered, 200, port);
        Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService clients = Executors.newFixedThreadPool(SESSIONS);
        for (int i = 0; i < SESSIONS; i++) {
            int session = i;
            clients.execute(() -> submitUntilStopped(port, session, acknowledged, stop));
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> acknowledged.size() >= 300);
        first.destroyForcibly();  // SIGKILL, in the middle of the burst
        assertThat(first.waitFor(60, TimeUnit.SECONDS)).as("the killed relay is gone").isTrue();
        stop.set(true);
        clients.shutdown();
        assertThat(clients.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        Set<String> before = deliveredIds(delivered);
        assertThat(acknowledged).as("the kill came while mail was still queued").hasSizeGreaterThan(before.size());

        // second life on the same data: everything acknowledged is delivered
        startRelay(config, delivered, 0, port);
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250))
                .untilAsserted(() -> assertThat(deliveredIds(delivered)).containsAll(acknowledged));
    }

    /**
     * SIGTERM while deliveries are in flight (issue 6): the relay stops accepting, waits the
     * shutdown grace, hands back the leases of deliveries still running, closes H2 cleanly and
     * exits; no lease is left held, and every acknowledged message is delivered after a restart.
     */
    @Test
    void sigtermDuringDeliveryLosesNothingAndLeavesNoLeaseHeld() throws Exception {
        int port = freePort();
        Path config = config(port, "shutdown-grace: 1s");
        Path delivered = dir.resolve("delivered.log");
        // each delivery takes 20 s: far longer than the grace, so the ones in flight must be handed back
        Process first = startRelay(config, delivered, 20_000, port);
        Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        for (int i = 0; i < 8; i++) {
            try (SmtpClient c = new SmtpClient("127.0.0.1", port)) {
                SmtpClient.expect(c.reply(), "220");
                SmtpClient.expect(c.send("EHLO client.test"), "250");
                String reply = c.mail("sender@client.test", "rcpt" + i + "@example.test", "Subject: sigterm " + i + "\r\n\r\nx\r\n");
                assertThat(reply).startsWith("250 2.0.0 Ok: queued as ");
                acknowledged.add(reply.substring("250 2.0.0 Ok: queued as ".length()).strip());
            }
        }
        Thread.sleep(1500); // the four workers are now inside their deliveries

        long start = System.nanoTime();
        first.destroy(); // SIGTERM
        assertThat(first.waitFor(30, TimeUnit.SECONDS)).as("exits after the grace, not after the deliveries").isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(15));
        // nothing touched the database after it was closed (the child logs WARN and above)
        assertThat(Files.readString(dir.resolve("relay.out"))).doesNotContain("has been closed");

        relay.queue.Database db = relay.queue.Database.open(dir.resolve("data"), 2);
        try (java.sql.Connection c = db.dataSource().getConnection();
             java.sql.ResultSet rs = c.createStatement().executeQuery("SELECT COUNT(*), COUNT(lease_owner) FROM recipient"
                     + " WHERE state = 'DELIVERING' OR lease_owner IS NOT NULL")) {
            rs.next();
            assertThat(rs.getInt(1)).as("recipients still leased after SIGTERM").isZero();
        } finally {
            db.close();
        }
        assertThat(deliveredIds(delivered)).as("nothing finished in the grace").isEmpty();

        startRelay(config, delivered, 0, port);
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                .untilAsserted(() -> assertThat(deliveredIds(delivered)).containsAll(acknowledged));
    }

    /** The child relay's configuration: SMTP on {@code port}, four workers, then {@code more} lines. */
    private Path config(int port, String... more) throws IOException {
        List<String> lines = new ArrayList<>(List.of(
                "hostname: relay.test",
                "data:",
                "  dir: " + dir.resolve("data"),
                "smtp:",
                "  port: " + port,
                "admin:",
                "  port: 0",
                "queue:",
                "  poll-interval: 200ms",
                "  workers: 4"));
        lines.addAll(List.of(more));
        Path config = dir.resolve("relay.yaml");
        Files.writeString(config, String.join("\n", lines) + "\n");
        return config;
    }

    private static void submitUntilStopped(int port, int session, Set<String> acknowledged, AtomicBoolean stop) {
        int n = 0;
        while (!stop.get()) {
            try (SmtpClient c = new SmtpClient("127.0.0.1", port)) {
                SmtpClient.expect(c.reply(), "220");
                SmtpClient.expect(c.send("EHLO client.test"), "250");
                String reply = c.mail("sender@client.test", "rcpt" + session + "@example.test",
                        "Subject: crash test " + session + "/" + n++ + "\r\n\r\n" + "x".repeat(10_000));
                if (reply.startsWith("250 2.0.0 Ok: queued as ")) {
                    acknowledged.add(reply.substring("250 2.0.0 Ok: queued as ".length()).strip());
                }
                c.send("QUIT");
            } catch (IOException e) {
                // the relay died or is not up yet: keep trying until told to stop
                pause();
            }
        }
    }

    private Process startRelay(Path config, Path delivered, int delayMs, int port) throws IOException {
        String classpath = Path.of("target", "relay.jar").toAbsolutePath() + java.io.File.pathSeparator
                + Path.of("target", "test-classes").toAbsolutePath();
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", classpath, RecordingRelayMain.class.getName(),
                config.toString(), delivered.toString(), Integer.toString(delayMs))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("relay.out").toFile()))
                .start();
        children.add(p);
        try {
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                if (!p.isAlive()) {
                    throw new AssertionError("relay exited early with " + p.exitValue() + "; its output:\n" + tail(dir.resolve("relay.out")));
                }
                try (Socket s = new Socket("127.0.0.1", port)) {
                    return true;
                } catch (IOException e) {
                    return false;
                }
            });
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("relay (pid " + p.pid() + ") alive but not listening on " + port + " after 60 s; its output:\n"
                    + tail(dir.resolve("relay.out")) + "\nits threads:\n" + threadDump(p), e);
        }
        return p;
    }

    /** jstack of a child that is alive but stuck, so a failure on a CI machine says where. */
    private static String threadDump(Process p) {
        try {
            Process jstack = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jstack").toString(),
                    Long.toString(p.pid())).redirectErrorStream(true).start();
            String out = new String(jstack.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            jstack.waitFor(30, TimeUnit.SECONDS);
            return out;
        } catch (IOException e) {
            return "(jstack failed: " + e + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "(interrupted)";
        }
    }

    private static String tail(Path file) throws IOException {
        List<String> lines = Files.exists(file) ? Files.readAllLines(file) : List.of();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }

    private static Set<String> deliveredIds(Path log) throws IOException {
        Set<String> ids = new HashSet<>();
        if (Files.exists(log)) {
            for (String line : Files.readAllLines(log)) {
                if (!line.isBlank()) {
                    ids.add(line.substring(0, line.indexOf(' ')));
                }
            }
        }
        return ids;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static void pause() {
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
