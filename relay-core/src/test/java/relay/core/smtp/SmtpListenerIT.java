package relay.core.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;
import static relay.core.testing.ListenerSettingsBuilder.listener;
import static relay.core.testing.RunningListener.NOW_RFC5322;

import java.io.IOException;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import relay.core.mail.MailAddress;
import relay.core.testing.ListenerSettingsBuilder;
import relay.core.testing.RecordingSpool.Stored;
import relay.core.testing.RunningListener;
import relay.core.testing.SmtpTestClient;

/**
 * The submission listener over real loopback sockets: the session, the envelope and DATA.
 * Size limits, loops, spool failures and connection limits are in {@link SmtpListenerLimitsIT};
 * STARTTLS and AUTH in {@link SmtpListenerTlsIT}.
 */
class SmtpListenerIT {

    private static final Pattern QUEUED = Pattern.compile("250 2\\.0\\.0 Ok: queued as ([0-9A-V]{17})");

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

    @Test
    void greetsAndAdvertisesWhatItImplements() throws IOException {
        start(listener());
        try (SmtpTestClient client = relay.connect()) {
            assertThat(client.reply()).isEqualTo("220 relay.example.test ESMTP relay");
            // RFC 5321 §4.1.1.1, RFC 2920, RFC 1870, RFC 6152, RFC 6531, RFC 2034; no STARTTLS without a
            // certificate and no AUTH without users
            assertThat(client.ehlo("client.example.test")).isEqualTo("""
                    250-relay.example.test
                    250-PIPELINING
                    250-SIZE 10000
                    250-8BITMIME
                    250-SMTPUTF8
                    250 ENHANCEDSTATUSCODES""");
            assertThat(client.command("HELO client.example.test")).isEqualTo("250 relay.example.test");
            assertThat(client.command("EHLO")).isEqualTo("501 5.5.4 Syntax: EHLO hostname");
            assertThat(client.command("EHLO two words")).isEqualTo("501 5.5.4 Syntax: EHLO hostname");
        }
    }

    @Test
    void acceptsAMessageAndStoresItWithTraceFields() throws IOException {
        start(listener());
        try (SmtpTestClient client = relay.connectAndGreet()) {
            String reply = client.sendMail("alice@example.com", List.of("bob@example.net"), """
                    From: Alice <alice@example.com>\r
                    To: Bob <bob@example.net>\r
                    Subject: hello\r
                    \r
                    Hi Bob,\r
                    .a line that starts with a dot\r
                    ..two dots\r
                    .\r
                    the line above is a single dot\r
                    """);

            String id = queueId(reply);
            Stored stored = relay.spool().single();
            assertThat(stored.id().value()).isEqualTo(id);
            assertThat(stored.envelope().sender()).contains(MailAddress.parse("alice@example.com", false));
            assertThat(stored.envelope().recipients()).containsExactly(MailAddress.parse("bob@example.net", false));
            assertThat(stored.envelope().smtpUtf8()).isFalse();
            assertThat(stored.envelope().eightBit()).isFalse();
            // RFC 5321 §4.4 Received on top, RFC 6409 §8 Date and Message-ID in the header section,
            // RFC 5321 §4.5.2 dots unstuffed
            assertThat(stored.text()).isEqualTo("Received: from client.example.test ([127.0.0.1])\r\n"
                    + "\tby relay.example.test (relay) with ESMTP id " + id + "\r\n"
                    + "\tfor <bob@example.net>;\r\n"
                    + "\t" + NOW_RFC5322 + "\r\n"
                    + "From: Alice <alice@example.com>\r\n"
                    + "To: Bob <bob@example.net>\r\n"
                    + "Subject: hello\r\n"
                    + "Date: " + NOW_RFC5322 + "\r\n"
                    + "Message-ID: <" + id + "@relay.example.test>\r\n"
                    + "\r\n"
                    + "Hi Bob,\r\n"
                    + ".a line that starts with a dot\r\n"
                    + "..two dots\r\n"
                    + ".\r\n"
                    + "the line above is a single dot\r\n");
        }
    }

    @Test
    void keepsTheClientsDateAndMessageId() throws IOException {
        start(listener());
        String message = "Date: Mon, 2 Jun 2025 08:00:00 +0200\r\nMessage-ID: <original@example.com>\r\n"
                + "Subject: hi\r\n\r\nbody\r\n";
        try (SmtpTestClient client = relay.connectAndGreet()) {
            String id = queueId(client.sendMail("alice@example.com", List.of("bob@example.net"), message));

            assertThat(relay.spool().single().text())
                    .startsWith("Received: from client.example.test ([127.0.0.1])\r\n\tby relay.example.test (relay) with ESMTP id " + id)
                    .endsWith(";\r\n\t" + NOW_RFC5322 + "\r\n" + message);
        }
    }

    /** RFC 5321 §4.5.2: the first line of the mail data is unstuffed like every other line. */
    @Test
    void unstuffsTheFirstLineToo() throws IOException {
        start(listener());
        try (SmtpTestClient client = relay.connectAndGreet()) {
            client.sendMail("alice@example.com", List.of("bob@example.net"), ".first line, no header section\r\nsecond\r\n");

            assertThat(relay.spool().single().text())
                    .endsWith("Message-ID: <" + relay.spool().single().id() + "@relay.example.test>\r\n"
                            + "\r\n.first line, no header section\r\nsecond\r\n");
        }
    }

    /** RFC 2920 §3.1: MAIL, RCPT and DATA may go in one write; the replies come back in order. */
    @Test
    void answersPipelinedCommandsInOrder() throws IOException {
        start(listener());
        try (SmtpTestClient client = relay.connectAndGreet()) {
            client.write("MAIL FROM:<alice@example.com>\r\n"
                    + "RCPT TO:<bob@example.net>\r\n"
                    + "RCPT TO:<not an address>\r\n"
                    + "RCPT TO:<carol@example.org>\r\n"
                    + "RCPT TO:<bob@example.net>\r\n"
                    + "DATA\r\n");

            assertThat(client.replies(6)).containsExactly(
                    "250 2.1.0 Ok",
                    "250 2.1.5 Ok",
                    "553 5.1.3 Bad recipient address syntax: character ' ' not allowed in a local part",
                    "250 2.1.5 Ok",
                    "250 2.1.5 Ok",
                    "354 End data with <CR><LF>.<CR><LF>");
            // the final dot and the next transaction in one write: nothing after the dot belongs to the message
            client.write("Subject: one\r\n\r\nfirst\r\n.\r\n"
                    + "MAIL FROM:<>\r\nRCPT TO:<dave@example.com>\r\nDATA\r\n");
            List<String> replies = client.replies(4);
            assertThat(replies.get(0)).matches(QUEUED);
            assertThat(replies.subList(1, 4)).containsExactly("250 2.1.0 Ok", "250 2.1.5 Ok", "354 End data with <CR><LF>.<CR><LF>");
            assertThat(client.data("Subject: two\r\n\r\nsecond\r\n")).matches(QUEUED);
        }
        List<Stored> stored = relay.spool().stored();
        assertThat(stored).hasSize(2);
        // a repeated recipient is kept once (RFC 5321 §3.3); with several there is no "for" clause
        assertThat(stored.get(0).envelope().recipients()).extracting(MailAddress::toString)
                .containsExactly("bob@example.net", "carol@example.org");
        assertThat(stored.get(0).text()).contains("with ESMTP id " + stored.get(0).id() + ";\r\n").endsWith("\r\nfirst\r\n");
        // RFC 5321 §4.5.5: the null reverse-path
        assertThat(stored.get(1).envelope().sender()).isEmpty();
        assertThat(stored.get(1).envelope().reversePath()).isEqualTo("<>");
        assertThat(stored.get(1).text()).contains("Subject: two\r\n").endsWith("\r\nsecond\r\n");
    }

    /** commands sent first (each must succeed), the command under test, its exact reply. */
    static Stream<Arguments> outOfSequence() {
        return Stream.of(
                // RFC 5321 §4.1.4: EHLO or HELO before a mail transaction
                arguments(List.of(), "MAIL FROM:<alice@example.com>", "503 5.5.1 Send EHLO or HELO first"),
                // RFC 5321 §4.1.4 / §3.3: MAIL, then RCPT, then DATA
                arguments(List.of("EHLO c.example"), "RCPT TO:<bob@example.net>", "503 5.5.1 Need MAIL command first"),
                arguments(List.of("EHLO c.example"), "DATA", "503 5.5.1 Need MAIL command first"),
                arguments(List.of("EHLO c.example", "MAIL FROM:<alice@example.com>"), "DATA", "554 5.5.1 No valid recipients"),
                arguments(List.of("EHLO c.example", "MAIL FROM:<alice@example.com>"), "MAIL FROM:<alice@example.com>",
                        "503 5.5.1 Sender already specified"),
                // RFC 5321 §4.1.1.5 and §4.1.4: RSET and a new EHLO end the transaction
                arguments(List.of("EHLO c.example", "MAIL FROM:<alice@example.com>", "RSET"), "RCPT TO:<bob@example.net>",
                        "503 5.5.1 Need MAIL command first"),
                arguments(List.of("EHLO c.example", "MAIL FROM:<alice@example.com>", "RCPT TO:<bob@example.net>", "EHLO c.example"),
                        "DATA", "503 5.5.1 Need MAIL command first"),
                // RFC 5321 §4.1.1.4: DATA has no parameters
                arguments(List.of("EHLO c.example", "MAIL FROM:<alice@example.com>", "RCPT TO:<bob@example.net>"), "DATA now",
                        "501 5.5.4 DATA takes no arguments"));
    }

    @ParameterizedTest(name = "{1} after {0} -> {2}")
    @MethodSource("outOfSequence")
    void refusesCommandsOutOfSequence(List<String> before, String command, String reply) throws IOException {
        start(listener());
        try (SmtpTestClient client = relay.connect()) {
            client.reply();
            for (String c : before) {
                assertThat(client.command(c)).startsWith("250");
            }
            assertThat(client.command(command)).isEqualTo(reply);
            // and the session goes on
            assertThat(client.command("NOOP")).isEqualTo("250 2.0.0 Ok");
        }
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            # RFC 5321 §4.1.1.2 syntax of MAIL
            MAIL                                       | 501 5.5.4 Syntax: MAIL FROM:<address>
            MAIL TO:<alice@example.com>                | 501 5.5.4 Syntax: MAIL FROM:<address>
            MAIL FROM:alice@example.com                | 501 5.1.3 Address must be enclosed in angle brackets
            MAIL FROM:<alice@example.com               | 501 5.1.3 Missing '>' after the address
            MAIL FROM:<alice@example.com>SIZE=1        | 501 5.5.4 Expected a space between the address and its parameters
            MAIL FROM:<alice@example.com> SIZE=1 SIZE=1 | 501 5.5.4 Parameter SIZE given twice
            MAIL FROM:<alice@example.com> SIZE=ten     | 501 5.5.4 SIZE needs a number of octets
            MAIL FROM:<alice@example.com> SMTPUTF8=yes | 501 5.5.4 SMTPUTF8 takes no value
            # RFC 3463 X.1.7: bad sender address
            MAIL FROM:<alice..b@example.com>           | 553 5.1.7 Bad sender address syntax: local part has an empty atom (leading or doubled '.')
            MAIL FROM:<alice>                          | 553 5.1.7 Bad sender address syntax: address 'alice' has no '@' after its local part
            MAIL FROM:<alice@[300.0.0.1]>              | 553 5.1.7 Bad sender address syntax: invalid address literal '[300.0.0.1]'
            # RFC 6531 §3.5 / RFC 3463 X.6.7: non-ASCII without SMTPUTF8
            MAIL FROM:<jörg@example.com>               | 553 5.6.7 Non-ASCII sender needs SMTPUTF8: character 'ö' not allowed in a local part
            MAIL FROM:<user@bücher.example>            | 553 5.6.7 Non-ASCII sender needs SMTPUTF8: non-ASCII domain without SMTPUTF8
            # RFC 5321 §4.1.1.11: parameters that are not implemented (DSN, BINARYMIME, REQUIRETLS are not offered)
            MAIL FROM:<alice@example.com> RET=FULL     | 555 5.5.4 Unsupported parameter RET
            MAIL FROM:<alice@example.com> ENVID=x      | 555 5.5.4 Unsupported parameter ENVID
            MAIL FROM:<alice@example.com> REQUIRETLS   | 555 5.5.4 Unsupported parameter REQUIRETLS
            MAIL FROM:<alice@example.com> BODY=BINARYMIME | 555 5.5.4 BODY=BINARYMIME not supported
            # what is offered is accepted: RFC 1870 SIZE, RFC 6152 BODY, RFC 6531 SMTPUTF8, RFC 4954 §5 AUTH
            MAIL FROM:<alice@example.com> SIZE=10000   | 250 2.1.0 Ok
            MAIL FROM:<alice@example.com> BODY=7BIT    | 250 2.1.0 Ok
            MAIL FROM:<alice@example.com> body=8bitmime | 250 2.1.0 Ok
            MAIL FROM:<jörg@bücher.example> SMTPUTF8   | 250 2.1.0 Ok
            MAIL FROM:<alice@example.com> AUTH=<>      | 250 2.1.0 Ok
            MAIL FROM:<> SIZE=100 BODY=8BITMIME SMTPUTF8 | 250 2.1.0 Ok
            # seen in the wild
            mail from: <alice@example.com>             | 250 2.1.0 Ok
            MAIL FROM:<@relay.example:alice@example.com> | 250 2.1.0 Ok
            """)
    void checksMail(String command, String reply) throws IOException {
        start(listener());
        try (SmtpTestClient client = relay.connectAndGreet()) {
            assertThat(client.command(command)).isEqualTo(reply);
        }
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            # RFC 5321 §4.1.1.3 syntax of RCPT
            RCPT                                       | 501 5.5.4 Syntax: RCPT TO:<address>
            RCPT FROM:<bob@example.net>                | 501 5.5.4 Syntax: RCPT TO:<address>
            RCPT TO:bob@example.net                    | 501 5.1.3 Address must be enclosed in angle brackets
            RCPT TO:<>                                 | 501 5.1.3 Empty recipient address
            # RFC 3463 X.1.3: bad recipient address
            RCPT TO:<bob.@example.net>                 | 553 5.1.3 Bad recipient address syntax: local part ends with '.'
            RCPT TO:<bob@[IPv6:1::2::3]>               | 553 5.1.3 Bad recipient address syntax: invalid IPv6 literal '[IPv6:1::2::3]'
            # the reason text is cut at 64 characters (here the JDK's IDNA message)
            RCPT TO:<bob@example.net@example.org>      | 553 5.1.3 Bad recipient address syntax: invalid domain 'example.net@example.org': Contains non-LDH ASCII...
            # RFC 6531 §3.5: non-ASCII without SMTPUTF8 on MAIL
            RCPT TO:<用户@例子.测试>                     | 553 5.6.7 Non-ASCII recipient needs SMTPUTF8: character '用' not allowed in a local part
            # RFC 5321 §4.1.1.11: no RCPT parameters are offered (DSN is not advertised)
            RCPT TO:<bob@example.net> NOTIFY=NEVER     | 555 5.5.4 Unsupported parameter NOTIFY
            RCPT TO:<bob@example.net> ORCPT=rfc822;bob@example.net | 555 5.5.4 Unsupported parameter ORCPT
            # RFC 5321 §4.1.1.3 and Appendix C: source routes are accepted and ignored
            RCPT TO:<@hop.example:bob@example.net>     | 250 2.1.5 Ok
            RCPT TO:<bob@[192.0.2.1]>                  | 250 2.1.5 Ok
            """)
    void checksRcpt(String command, String reply) throws IOException {
        start(listener());
        try (SmtpTestClient client = relay.connectAndGreet()) {
            assertThat(client.command("MAIL FROM:<alice@example.com>")).isEqualTo("250 2.1.0 Ok");
            assertThat(client.command(command)).isEqualTo(reply);
        }
    }

    /** RFC 6531: with SMTPUTF8 on MAIL, UTF-8 addresses are accepted and the message is marked. */
    @Test
    void acceptsUtf8AddressesWithSmtpUtf8() throws IOException {
        start(listener());
        try (SmtpTestClient client = relay.connectAndGreet()) {
            assertThat(client.command("MAIL FROM:<jörg@bücher.example> SMTPUTF8 BODY=8BITMIME")).isEqualTo("250 2.1.0 Ok");
            assertThat(client.command("RCPT TO:<用户@例子.测试>")).isEqualTo("250 2.1.5 Ok");
            assertThat(client.command("DATA")).startsWith("354 ");
            String id = queueId(client.data("Subject: Grüße\r\n\r\nHallo 用户\r\n"));

            Stored stored = relay.spool().single();
            assertThat(stored.envelope().smtpUtf8()).isTrue();
            assertThat(stored.envelope().eightBit()).isTrue();
            assertThat(stored.envelope().sender()).map(MailAddress::toString).contains("jörg@xn--bcher-kva.example");
            assertThat(stored.envelope().recipients()).extracting(MailAddress::toString)
                    .containsExactly("用户@xn--fsqu00a.xn--0zwm56d");
            // RFC 6531 §3.7.3: the protocol is UTF8SMTP
            assertThat(stored.text()).contains("with UTF8SMTP id " + id + "\r\n\tfor <用户@xn--fsqu00a.xn--0zwm56d>;")
                    .endsWith("Subject: Grüße\r\nDate: " + NOW_RFC5322 + "\r\nMessage-ID: <" + id
                            + "@relay.example.test>\r\n\r\nHallo 用户\r\n");
        }
    }

    /** Never an open relay: outside the client networks and without AUTH, no recipient is accepted. */
    @Test
    void refusesToRelayForClientsOutsideItsNetworks() throws IOException {
        start(listener().clientNetworks("10.0.0.0/8", "2001:db8::/32"));
        try (SmtpTestClient client = relay.connectAndGreet()) {
            assertThat(client.command("MAIL FROM:<alice@example.com>")).isEqualTo("250 2.1.0 Ok");
            assertThat(client.command("RCPT TO:<bob@example.net>")).isEqualTo("554 5.7.1 <bob@example.net>: Relay access denied");
            assertThat(client.command("RCPT TO:<postmaster@[127.0.0.1]>"))
                    .isEqualTo("554 5.7.1 <postmaster@[127.0.0.1]>: Relay access denied");
            assertThat(client.command("DATA")).isEqualTo("554 5.5.1 No valid recipients");
        }
        assertThat(relay.spool().attempts()).isZero();
    }

    /** RFC 5321 §4.5.3.1.10: 452 for recipients beyond the limit, and the message goes to the others. */
    @Test
    void defersRecipientsBeyondTheLimit() throws IOException {
        start(listener().maxRecipients(3));
        try (SmtpTestClient client = relay.connectAndGreet()) {
            client.command("MAIL FROM:<alice@example.com>");
            for (String rcpt : List.of("a@example.net", "b@example.net", "c@example.net")) {
                assertThat(client.command("RCPT TO:<" + rcpt + ">")).isEqualTo("250 2.1.5 Ok");
            }
            assertThat(client.command("RCPT TO:<d@example.net>")).isEqualTo("452 4.5.3 Too many recipients");
            assertThat(client.command("RCPT TO:<e@example.net>")).isEqualTo("452 4.5.3 Too many recipients");
            assertThat(client.command("DATA")).startsWith("354 ");
            assertThat(client.data("Subject: x\r\n\r\nx\r\n")).matches(QUEUED);
        }
        assertThat(relay.spool().single().envelope().recipients()).extracting(MailAddress::toString)
                .containsExactly("a@example.net", "b@example.net", "c@example.net");
    }

    /** RFC 2034 §3: with ENHANCEDSTATUSCODES every reply after EHLO carries a status code. */
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            RSET              | 250 2.0.0 Ok
            NOOP              | 250 2.0.0 Ok
            NOOP anything     | 250 2.0.0 Ok
            # RFC 5321 §3.5.3 and §7.3: VRFY answers 252, EXPN is not offered
            VRFY bob          | 252 2.5.2 Cannot VRFY user; send some mail and we will try
            EXPN staff        | 502 5.5.1 EXPN not available
            # RFC 3030: CHUNKING is not advertised, so BDAT is refused
            BDAT 10 LAST      | 502 5.5.1 BDAT not available; use DATA
            """)
    void answersSmallCommandsWithEnhancedCodes(String command, String reply) throws IOException {
        start(listener());
        try (SmtpTestClient client = relay.connectAndGreet()) {
            assertThat(client.command(command)).isEqualTo(reply);
            assertThat(client.command("NOOP")).isEqualTo("250 2.0.0 Ok");
        }
    }

    /** RFC 5321 §4.1.1.10: 221, then the server closes the connection. */
    @Test
    void closesAfterQuit() throws IOException {
        start(listener());
        try (SmtpTestClient client = relay.connectAndGreet()) {
            client.command("MAIL FROM:<alice@example.com>");
            assertThat(client.command("QUIT")).isEqualTo("221 2.0.0 Bye");
            assertThat(client.readUntilClosed()).isEmpty();
        }
        assertThat(relay.spool().attempts()).isZero();
    }

    private static String queueId(String reply) {
        Matcher m = QUEUED.matcher(reply);
        assertThat(m.matches()).as("queued reply: %s", reply).isTrue();
        return m.group(1);
    }
}
