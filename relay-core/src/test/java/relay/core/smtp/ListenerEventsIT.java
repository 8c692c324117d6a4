package relay.core.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static relay.core.testing.ListenerSettingsBuilder.listener;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import relay.core.testing.ListenerSettingsBuilder;
import relay.core.testing.RunningListener;
import relay.core.testing.SmtpTestClient;

/** Over real sockets: the listener tells its observer each message it took and each refusal, and why. */
class ListenerEventsIT {

    private final List<String> told = new CopyOnWriteArrayList<>();
    private final ListenerEvents events = new ListenerEvents() {
        @Override
        public void accepted(int recipients, long octets) {
            told.add("accepted " + recipients + " " + octets);
        }

        @Override
        public void rejected(Rejection reason) {
            told.add(reason.token());
        }
    };
    private RunningListener relay;

    @AfterEach
    void stop() {
        if (relay != null) {
            relay.close();
        }
    }

    private RunningListener start(ListenerSettingsBuilder settings) {
        relay = RunningListener.start(settings, events);
        return relay;
    }

    @Test
    void anAcceptedMessageIsToldWithItsRecipientsAndSize() throws IOException {
        start(listener());
        try (SmtpTestClient c = relay.connectAndGreet()) {
            assertThat(c.sendMail("a@example.com", List.of("b@example.net", "c@example.net"), "Subject: x\r\n\r\nx\r\n"))
                    .startsWith("250 ");
        }
        assertThat(told).containsExactly("accepted 2 " + "Subject: x\r\n\r\nx\r\n".length());
    }

    @Test
    void eachRefusalIsToldWithItsReason() throws IOException {
        start(listener().maxMessageSize(2000).maxRecipients(1).maxReceivedHeaders(1));
        String hop = "Received: from a.example by b.example; Tue, 3 Jun 2025 10:00:00 +0000\r\n";
        try (SmtpTestClient c = relay.connectAndGreet()) {
            assertThat(c.command("MAIL FROM:<a@example.com> SIZE=2001")).startsWith("552 ");
            assertThat(c.command("MAIL FROM:<a@example.com>")).startsWith("250 ");
            assertThat(c.command("RCPT TO:<b@example.net>")).startsWith("250 ");
            assertThat(c.command("RCPT TO:<c@example.net>")).startsWith("452 4.5.3 ");
            assertThat(c.command("DATA")).startsWith("354 ");
            assertThat(c.data("Subject: big\r\n\r\n" + "x".repeat(3000) + "\r\n")).startsWith("552 ");
            assertThat(c.sendMail("a@example.com", List.of("b@example.net"), hop.repeat(2) + "Subject: l\r\n\r\nx\r\n"))
                    .startsWith("554 5.4.6 ");
            relay.spool().failing(true);
            assertThat(c.sendMail("a@example.com", List.of("b@example.net"), "Subject: s\r\n\r\nx\r\n"))
                    .startsWith("452 4.3.1 ");
        }
        assertThat(told).containsExactly("message-too-large", "too-many-recipients", "message-too-large", "mail-loop",
                "storage-failed");
    }

    @Test
    void aClientOutsideTheNetworksIsToldAsRelayDenied() throws IOException {
        start(listener().clientNetworks("192.0.2.0/24"));
        try (SmtpTestClient c = relay.connectAndGreet()) {
            assertThat(c.command("MAIL FROM:<a@example.com>")).startsWith("250 ");
            assertThat(c.command("RCPT TO:<b@example.net>")).startsWith("554 5.7.1 ");
        }
        assertThat(told).containsExactly("relay-denied");
    }

    @Test
    void aConnectionOverThePerClientLimitIsTold() throws IOException {
        start(listener().maxConnectionsPerClient(1));
        try (SmtpTestClient first = relay.connectAndGreet(); SmtpTestClient second = relay.connect()) {
            assertThat(second.reply()).startsWith("421 4.7.0 ");
            await().atMost(Duration.ofSeconds(5)).until(() -> told.contains("too-many-connections"));
        }
        assertThat(told).containsExactly("too-many-connections");
    }
}
