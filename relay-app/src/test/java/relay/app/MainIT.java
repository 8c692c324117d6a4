package relay.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The jar as a user runs it: exit codes and one-sentence errors, never a stack trace. */
class MainIT {

    @TempDir
    Path dir;

    record Result(int exit, String output) {
    }

    @Test
    void versionPrintsTheVersion() throws Exception {
        Result r = run(List.of("version"), null);
        assertThat(r.exit()).isZero();
        assertThat(r.output()).startsWith("relay ");
    }

    @Test
    void badConfigStopsStartUpNamingTheKey() throws Exception {
        Path cfg = dir.resolve("bad.yaml");
        Files.writeString(cfg, "smtp:\n  port: 99999\n");
        Result r = run(List.of("run", "--config", cfg.toString()), null);
        assertThat(r.exit()).isEqualTo(Main.EX_CONFIG);
        assertThat(r.output()).contains("relay: configuration key 'smtp.port' (RELAY_SMTP_PORT): must be between 0 and 65535")
                .doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    void portInUseIsOneClearSentence() throws Exception {
        try (java.net.ServerSocket busy = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            Path cfg = dir.resolve("busy.yaml");
            Files.writeString(cfg, "data:\n  dir: " + dir.resolve("data") + "\nsmtp:\n  port: " + busy.getLocalPort() + "\n");
            Result r = run(List.of("run", "--config", cfg.toString()), null);
            assertThat(r.exit()).isNotZero();
            assertThat(r.output()).contains("relay: cannot start: cannot listen for SMTP on 127.0.0.1:" + busy.getLocalPort()
                    + ": Address already in use").doesNotContain("\tat ");
        }
    }

    @Test
    void hashPasswordReadsStdinAndPrintsAVerifiableHash() throws Exception {
        Result r = run(List.of("hash-password"), "s3cret\n");
        assertThat(r.exit()).isZero();
        relay.core.smtp.PasswordHash hash = relay.core.smtp.PasswordHash.parse(r.output().strip());
        assertThat(hash.verify("s3cret")).isTrue();
        assertThat(hash.verify("wrong")).isFalse();
    }

    private Result run(List<String> args, String stdin) throws IOException, InterruptedException {
        List<String> cmd = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", Path.of("target", "relay.jar").toAbsolutePath().toString()));
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        if (stdin != null) {
            p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        p.getOutputStream().close();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("relay did not exit");
        }
        return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }
}
