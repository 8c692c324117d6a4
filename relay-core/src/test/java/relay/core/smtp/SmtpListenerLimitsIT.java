package relay.core.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static relay.core.testing.ListenerSettingsBuilder.listener;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import relay.core.testing.ListenerSettingsBuilder;
import relay.core.testing.RunningListener;
import relay.core.testing.SmtpTestClient;

/**
 * The listener's limits over real sockets: message size (declared and actual), mail loops, spool
 * failures, connections per client and timeouts. After every refusal of a message the same
 * connection must carry the next one, proving that no line of the refused message was read as a
 * command.
 */
class SmtpListenerLimitsIT {

    private static final String QUEUED = "250 2\\.0\\.0 Ok: queued as [0-9A-V]{17}";
    private static final String TOO_BIG = "552 5.3.4 Message size exceeds fixed maximum message size";
    private static final int LIMIT = 10_000;

    private RunningListener relay;

    @AfterEach
    void stop() {
        if (relay != null) {
            relay.close();
        }
    }

    private RunningListener start(ListenerSettingsBuilder settings) {
        relay = RunningListener.start(settings);
        return relay;
    }

    /** RFC 1870 §6: a declared SIZE above the limit is refused at MAIL, and the session goes on. */
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            # RFC 1870 §6: at the limit is fine, one octet more is not
            SIZE=0                              | 250 2.1.0 Ok
            SIZE=10000                          | 250 2.1.0 Ok
            SIZE=010000                         | 250 2.1.0 Ok
            SIZE=10001                          | 552 5.3.4 Message size exceeds fixed maximum message size
            # seen in the wild (SubEtha 7.2.2 only looked at SIZE when it came last)
            SIZE=999999999 BODY=8BITMIME        | 552 5.3.4 Message size exceeds fixed maximum message size
            BODY=8BITMIME SIZE=999999999        | 552 5.3.4 Message size exceeds fixed maximum message size
            SIZE=999999999 SMTPUTF8 BODY=7BIT   | 552 5.3.4 Message size exceeds fixed maximum message size
            # absurd sizes: beyond an int, beyond a long; SubEtha 7.2.2 dropped the connection on these
            SIZE=2147483648                     | 552 5.3.4 Message size exceeds fixed maximum message size
            SIZE=99999999999999999999           | 552 5.3.4 Message size exceeds fixed maximum message size
            SIZE=00000000000000010000           | 250 2.1.0 Ok
            # RFC 1870 §4: size-value ::= 1*20DIGIT
            SIZE=999999999999999999999          | 501 5.5.4 SIZE needs a number of octets
            SIZE=-1                             | 501 5.5.4 SIZE needs a number of octets
            SIZE=1e9                            | 501 5.5.4 SIZE needs a number of octets
            """)
    void checksTheDeclaredSize(String params, String reply) throws IOException {
        start(listener().maxMessageSize(LIMIT));
        try (SmtpTestClient client = relay.connectAndGreet()) {
            assertThat(client.command("MAIL FROM:<alice@example.com> " + params)).isEqualTo(reply);
            assertThat(client.command("NOOP")).isEqualTo("250 2.0.0 Ok");
            assertThat(client.command("RSET")).isEqualTo("250 2.0.0 Ok");
            assertThat(client.sendMail("alice@example.com", List.of("bob@example.net"), "Subject: next\r\n\r\nok\r\n"))
                    .matches(QUEUED);
        }
    }

    /** RFC 1870 §6 and RFC 5321 §4.5.3.1.10: the octets actually sent count, whatever SIZE said. */
    @Test
    void refusesDataLargerThanTheLimitAfterTheFinalDot() throws IOException {
        start(listener().maxMessageSize(LIMIT));
        StringBuilder body = new StringBuilder("Subject: big\r\n\r\n");
        while (body.length() <= 2 * LIMIT) {
            // lines that would do harm if they were ever read as commands
            body.append("RSET\r\nQUIT\r\nMAIL FROM:<x@y.example>\r\nRCPT TO:<z@w.example>\r\nDATA\r\n.hidden\r\n");
        }
        try (SmtpTestClient client = relay.connectAndGreet()) {
            assertThat(client.command("MAIL FROM:<alice@example.com>")).isEqualTo("250 2.1.0 Ok");
            assertThat(client.command("RCPT TO:<bob@example.net>")).isEqualTo("250 2.1.5 Ok");
            assertThat(client.command("DATA")).startsWith("354 ");

            // the first reply after 354 is the one to the final dot: no body line got an answer
            assertThat(client.data(body.toString())).isEqualTo(TOO_BIG);

            assertThat(relay.spool().stored()).isEmpty();
            // the transaction is over, the session is not
            assertThat(client.command("RCPT TO:<bob@example.net>")).isEqualTo("503 5.5.1 Need MAIL command first");
            assertThat(client.sendMail("alice@example.com", List.of("carol@example.org"), "Subject: small\r\n\r\nok\r\n"))
                    .matches(QUEUED);
        }
        assertThat(relay.spool().single().envelope().recipients()).extracting(Object::toString).containsExactly("carol@example.org");
        assertThat(relay.spool().single().text()).endsWith("Subject: small\r\n" + "Date: " + RunningListener.NOW_RFC5322
                + "\r\nMessage-ID: <" + relay.spool().single().id() + "@relay.example.test>\r\n\r\nok\r\n");
    }

    /** The limit is on the message as sent (unstuffed, before the relay's own fields): 10 000 octets pass, 10 001 do not. */
    @Test
    void countsTheMessageExactly() throws IOException {
        start(listener().maxMessageSize(LIMIT));
        String head = "Subject: exact\r\n\r\n";
        String atLimit = head + ".".repeat(LIMIT - head.length() - 2) + "\r\n";
        String overLimit = head + ".".repeat(LIMIT - head.length() - 1) + "\r\n";
        assertThat(atLimit).hasSize(LIMIT);
        try (SmtpTestClient client = relay.connectAndGreet()) {
            assertThat(client.sendMail("alice@example.com", List.of("bob@example.net"), atLimit)).matches(QUEUED);
            assertThat(client.sendMail("alice@example.com", List.of("bob@example.net"), overLimit)).isEqualTo(TOO_BIG);
        }
        assertThat(relay.spool().single().text()).endsWith("\r\n\r\n" + atLimit.substring(head.length()));
    }

    /** A header section that alone passes the limit is refused the same way. */
    @Test
    void refusesAnOversizedHeaderSection() throws IOException {
        start(listener().maxMessageSize(LIMIT));
        String headers = "X-Filler: 0123456789012345678901234567890123456789\r\n".repeat(LIMIT / 40) + "\r\nbody\r\n";
        try (SmtpTestClient client = relay.connectAndGreet()) {
            assertThat(client.sendMail("alice@example.com", List.of("bob@example.net"), headers)).isEqualTo(TOO_BIG);
            assertThat(client.command("NOOP")).isEqualTo("250 2.0.0 Ok");
        }
        assertThat(relay.spool().stored()).isEmpty();
    }

    /** RFC 5321 §6.3: more Received fields than allowed is a loop: 554 5.4.6 and nothing stored. */
    @Test
    void refusesAMessageThatLooped() throws IOException {
        start(listener().maxReceivedHeaders(5));
        String hop = "Received: from a.example by b.example; Tue, 3 Jun 2025 10:00:00 +0000\r\n";
        try (SmtpTestClient client = relay.connectAndGreet()) {
            assertThat(client.sendMail("alice@example.com", List.of("bob@example.net"), hop.repeat(6) + "Subject: loop\r\n\r\nx\r\n"))
                    .isEqualTo("554 5.4.6 Too many hops (6 Received header fields): mail loop?");
            assertThat(relay.spool().stored()).isEmpty();

            assertThat(client.sendMail("alice@example.com", List.of("bob@example.net"), hop.repeat(5) + "Subject: ok\r\n\r\nx\r\n"))
                    .matches(QUEUED);
        }
        // the relay's own Received makes six: the next hop decides about that
        assertThat(relay.spool().single().text().split("Received: ", -1)).hasSize(7);
    }

    /** RFC 5321 §4.2.2 / RFC 3463 X.3.1: the spool cannot take the message: 452, nothing kept, try later. */
    @Test
    void defersWhenTheSpoolFails() throws IOException {
        start(listener());
        relay.spool().failing(true);
        try (SmtpTestClient client = relay.connectAndGreet()) {
            assertThat(client.sendMail("alice@example.com", List.of("bob@example.net"), "Subject: one\r\n\r\nx\r\n"))
                    .isEqualTo("452 4.3.1 Insufficient system storage, try again later");
            assertThat(relay.spool().attempts()).isEqualTo(1);
            assertThat(relay.spool().stored()).isEmpty();

            relay.spool().failing(false);
            assertThat(client.command("DATA")).isEqualTo("503 5.5.1 Need MAIL command first");
            assertThat(client.sendMail("alice@example.com", List.of("bob@example.net"), "Subject: two\r\n\r\nx\r\n"))
                    .matches(QUEUED);
        }
        assertThat(relay.spool().single().text()).contains("Subject: two\r\n");
    }

    /** RFC 5321 §3.8 / RFC 3463 X.7.0: more connections from one client than allowed get 421 and are closed. */
    @Test
    void limitsConnectionsPerClient() throws IOException {
        start(listener().maxConnectionsPerClient(2));
        try (SmtpTestClient first = relay.connectAndGreet(); SmtpTestClient second = relay.connectAndGreet()) {
            try (SmtpTestClient third = relay.connect()) {
                assertThat(third.reply()).isEqualTo("421 4.7.0 Too many connections from your address, try again later");
                assertThat(third.readUntilClosed()).isEmpty();
            }
            assertThat(second.command("NOOP")).isEqualTo("250 2.0.0 Ok");
            assertThat(first.command("QUIT")).isEqualTo("221 2.0.0 Bye");
            first.readUntilClosed();

            // once the first session has ended there is room again
            await().atMost(Duration.ofSeconds(5)).until(() -> {
                try (SmtpTestClient again = relay.connect()) {
                    return again.reply().startsWith("220 ");
                }
            });
        }
    }

    /** RFC 5321 §4.5.3.2.7: a client that says nothing is given up on with 421 and the connection closed. */
    @Test
    void closesIdleConnections() throws IOException {
        start(listener().commandTimeout(Duration.ofMillis(300)));
        try (SmtpTestClient client = relay.connectAndGreet()) {
            // SubEtha writes this reply itself, without an enhanced status code
            assertThat(client.reply()).startsWith("421 ");
            assertThat(client.readUntilClosed()).isEmpty();
        }
    }

    /** RFC 5321 §4.5.3.2.5-6: a client that stalls inside DATA is cut off and nothing is stored. */
    @Test
    void closesConnectionsThatStallInData() throws IOException {
        start(listener().dataTimeout(Duration.ofMillis(300)));
        try (SmtpTestClient client = relay.connectAndGreet()) {
            client.command("MAIL FROM:<alice@example.com>");
            client.command("RCPT TO:<bob@example.net>");
            assertThat(client.command("DATA")).startsWith("354 ");
            client.write("Subject: stalled\r\n\r\nhalf a mess");

            assertThat(client.reply()).startsWith("421 ");
            assertThat(client.readUntilClosed()).isEmpty();
        }
        assertThat(relay.spool().stored()).isEmpty();
    }

    /** A client that goes away in the middle of DATA leaves nothing behind, and others are still served. */
    @ParameterizedTest(name = "cut off after {0} octets of 73 (no final dot)")
    @CsvSource({"0", "10", "40", "73"})
    void storesNothingWhenTheClientDisconnectsInData(int octets) throws IOException {
        // one connection per client: a new one is admitted only once the old session has ended
        start(listener().maxConnectionsPerClient(1));
        String message = "Subject: cut\r\n\r\nthe first line of the body\r\nand half of the second line\r\n";
        try (SmtpTestClient client = relay.connectAndGreet()) {
            client.command("MAIL FROM:<alice@example.com>");
            client.command("RCPT TO:<bob@example.net>");
            assertThat(client.command("DATA")).startsWith("354 ");
            client.write(message.substring(0, octets));
        }

        // the first connection the server admits is the one that carries the next message: a
        // probe closed and replaced at once would race the end of its own session
        SmtpTestClient[] admitted = new SmtpTestClient[1];
        await().atMost(Duration.ofSeconds(5)).until(() -> {
            SmtpTestClient probe = relay.connect();
            if (probe.reply().startsWith("220 ")) {
                admitted[0] = probe;
                return true;
            }
            probe.close();
            return false;
        });
        assertThat(relay.spool().stored()).isEmpty();
        try (SmtpTestClient other = admitted[0]) {
            assertThat(other.ehlo("client.example.test")).startsWith("250");
            assertThat(other.sendMail("carol@example.org", List.of("bob@example.net"), "Subject: fine\r\n\r\nx\r\n")).matches(QUEUED);
        }
        assertThat(relay.spool().single().envelope().reversePath()).isEqualTo("<carol@example.org>");
    }
}
