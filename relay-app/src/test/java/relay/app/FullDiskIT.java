package relay.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A full disk: the data directory on a tiny tmpfs. The listener answers 452 4.3.1 instead of
 * accepting mail it cannot store, and accepts again once space returns. Needs root (mount).
 */
class FullDiskIT {

    @TempDir
    Path dir;
    private Path mountPoint;
    private boolean mounted;
    private Relay relay;

    @BeforeEach
    void mount() throws Exception {
        mountPoint = Files.createDirectories(dir.resolve("small"));
        Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", mountPoint.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        mounted = p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        assumeTrue(mounted, "this test mounts a tmpfs and needs root: " + out);
    }

    @AfterEach
    void unmount() throws Exception {
        if (relay != null) {
            relay.close();
        }
        if (mounted) {
            new ProcessBuilder("umount", "-l", mountPoint.toString()).start().waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Submits a message of about {@code bodyKiB}; returns the first refusal or the final reply. */
    private String submit(int bodyKiB) throws IOException {
        try (SmtpClient c = new SmtpClient("127.0.0.1", relay.smtpPort())) {
            SmtpClient.expect(c.reply(), "220");
            SmtpClient.expect(c.send("EHLO app.example.test"), "250");
            String mail = c.send("MAIL FROM:<alice@example.test>");
            if (!mail.startsWith("250")) {
                return mail;
            }
            SmtpClient.expect(c.send("RCPT TO:<bob@example.test>"), "250");
            SmtpClient.expect(c.send("DATA"), "354");
            StringBuilder b = new StringBuilder("Subject: disk\r\n\r\n");
            String line = "x".repeat(78) + "\r\n";
            for (int i = 0; i < bodyKiB * 1024 / line.length(); i++) {
                b.append(line);
            }
            c.write(b.append(".\r\n").toString());
            return c.reply();
        }
    }

    /** Fills the file system until no more than {@code leave} octets are free; returns the filler. */
    private Path fill(long leave) throws IOException {
        Path filler = mountPoint.resolve("filler");
        byte[] block = new byte[16 * 1024];
        java.nio.file.FileStore fs = Files.getFileStore(mountPoint);
        try (OutputStream out = Files.newOutputStream(filler)) {
            while (fs.getUsableSpace() > leave + block.length) {
                out.write(block);
                out.flush();
            }
        } catch (IOException full) {
            // the disk is full: as wanted when leave is 0
        }
        return filler;
    }

    private void start(String minFree) throws Exception {
        Path config = dir.resolve("relay.yaml");
        Files.writeString(config, String.join("\n",
                "data:",
                "  dir: " + mountPoint.resolve("data"),
                "  min-free-space: " + minFree,
                "smtp:",
                "  port: 0",
                "admin:",
                "  port: 0",
                "delivery:",
                "  enabled: false",
                ""));
        relay = Relay.start(new ConfigLoader(Map.of()).load(Optional.of(config)), Optional.empty(), Clock.systemUTC());
    }

    /** RFC 1870 §6.1: below the reserve, MAIL gets 452 4.3.1 (nothing is sent); room again, mail again. */
    @Test
    void belowTheReserveMailIsRefusedWith452AndAcceptedWhenSpaceReturns() throws Exception {
        start("4MiB");
        assertThat(submit(4)).startsWith("250 ");

        Path filler = fill(2 * 1024 * 1024);
        assertThat(submit(4)).isEqualTo("452 4.3.1 Insufficient system storage");

        Files.delete(filler);
        assertThat(submit(4)).startsWith("250 ");
        assertThat(relay.queue().depth().messages()).isEqualTo(2);
    }

    /**
     * Without a reserve the disk really fills: the message is refused with 452 4.3.1 after DATA,
     * H2 closes its store, and the relay reopens it by itself once there is room; the mail
     * accepted before is still there.
     */
    @Test
    void aReallyFullDiskGets452AndTheRelayRecoversWithoutARestart() throws Exception {
        start("0");
        assertThat(submit(4)).startsWith("250 ");

        Path filler = fill(0);
        assertThat(submit(256)).startsWith("452 4.3.1");

        Files.delete(filler);
        String accepted = null;
        for (int i = 0; i < 5 && (accepted == null || !accepted.startsWith("250 ")); i++) {
            accepted = submit(4);
        }
        assertThat(accepted).startsWith("250 ");
        assertThat(relay.queue().depth().messages()).isEqualTo(2);
    }
}
