package relay.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import relay.core.testing.TestMx;

/**
 * The whole path, as the jar wires it from its configuration: a client submits over SMTP, the
 * relay stores the message, finds the MX through its configured DNS server, delivers over
 * STARTTLS, and bounces a refused recipient back to the sender with an RFC 3464 DSN that carries
 * the remote reply and its enhanced status code.
 */
class RelayDeliveryIT {

    @TempDir
    Path dir;
    private RunningRelay running;
    private TestMx mx;
    private Relay relay;

    @BeforeEach
    void peers() throws Exception {
        running = new RunningRelay(dir, Map.of());
        mx = running.mx;
        relay = running.relay;
    }

    @AfterEach
    void stop() {
        running.close();
    }

    @Test
    void deliversOverStartTlsAndBouncesARefusedRecipientWithTheRemoteReply() throws Exception {
        mx.rejectRecipient("nobody@example.test", 550, "5.1.1 <nobody@example.test>: no such user", 1);
        try (SmtpClient c = new SmtpClient("127.0.0.1", relay.smtpPort())) {
            SmtpClient.expect(c.reply(), "220");
            SmtpClient.expect(c.send("EHLO app.example.test"), "250");
            SmtpClient.expect(c.send("MAIL FROM:<alice@example.test>"), "250");
            SmtpClient.expect(c.send("RCPT TO:<bob@example.test>"), "250");
            SmtpClient.expect(c.send("RCPT TO:<nobody@example.test>"), "250");
            SmtpClient.expect(c.send("DATA"), "354");
            c.write("Subject: hello\r\n\r\nHi Bob.\r\n.\r\n");
            assertThat(c.reply()).startsWith("250 2.0.0 Ok: queued as ");
        }

        await().atMost(Duration.ofSeconds(30)).until(() -> mx.received().size() == 2);
        TestMx.Received original = mx.received().stream().filter(r -> r.recipients().contains("bob@example.test"))
                .findFirst().orElseThrow();
        assertThat(original.tls()).as("delivered inside STARTTLS").isTrue();
        assertThat(original.sender()).isEqualTo("alice@example.test");
        assertThat(original.text()).contains("Subject: hello").contains("Hi Bob.")
                .contains("by relay.test (relay) with ESMTP id ");

        TestMx.Received dsn = mx.received().stream().filter(r -> r.recipients().contains("alice@example.test"))
                .findFirst().orElseThrow();
        // RFC 3464 §2 / RFC 5321 §4.5.5: the report goes to the sender from the null reverse-path
        assertThat(dsn.sender()).isEmpty();
        assertThat(dsn.text())
                .contains("report-type=delivery-status")
                .contains("Final-Recipient: rfc822; nobody@example.test")
                .contains("Action: failed")
                .contains("Status: 5.1.1")
                .contains("Remote-MTA: dns; mx1.example.test")
                .contains("Diagnostic-Code: smtp; 550 5.1.1 <nobody@example.test>: no such user")
                .contains("Subject: hello")
                .doesNotContain("Hi Bob.");
        await().atMost(Duration.ofSeconds(10)).until(() -> relay.queue().depth().messages() == 0);
    }
}
