package relay.core.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class MessageAssemblerTest {

    private static final ZonedDateTime NOW = ZonedDateTime.of(2025, 6, 3, 10, 15, 30, 0, ZoneOffset.UTC);
    private static final String RECEIVED = "Received: from client.example ([192.0.2.1])\r\n\tby relay.example; "
            + "Tue, 3 Jun 2025 10:15:30 +0000\r\n";
    private static final String DATE = "Date: Tue, 3 Jun 2025 10:15:30 +0000\r\n";
    private static final String MESSAGE_ID = "Message-ID: <0123456789ABCDEFG@relay.example>\r\n";

    private final MessageAssembler assembler = new MessageAssembler(3);

    /** message as the client sent it (unstuffed), message as stored. */
    static Stream<Arguments> messages() {
        return Stream.of(
                // RFC 5321 §4.4 trace field on top; RFC 6409 §8.2-3 Date and Message-ID in the header section
                arguments("Subject: hi\r\n\r\nbody\r\n",
                        RECEIVED + "Subject: hi\r\n" + DATE + MESSAGE_ID + "\r\nbody\r\n"),
                arguments("From: a@b.example\r\nTo: c@d.example\r\nSubject: hi\r\n\r\nline 1\r\n\r\nline 3\r\n",
                        RECEIVED + "From: a@b.example\r\nTo: c@d.example\r\nSubject: hi\r\n" + DATE + MESSAGE_ID
                                + "\r\nline 1\r\n\r\nline 3\r\n"),
                // RFC 6409 §8: added only when missing; field names are case-insensitive (RFC 5322 §1.2.2)
                arguments("Date: Mon, 2 Jun 2025 08:00:00 +0200\r\nSubject: hi\r\n\r\nbody\r\n",
                        RECEIVED + "Date: Mon, 2 Jun 2025 08:00:00 +0200\r\nSubject: hi\r\n" + MESSAGE_ID + "\r\nbody\r\n"),
                arguments("Message-Id: <x@y.example>\r\n\r\nbody\r\n",
                        RECEIVED + "Message-Id: <x@y.example>\r\n" + DATE + "\r\nbody\r\n"),
                arguments("DATE: Mon, 2 Jun 2025 08:00:00 +0200\r\nmessage-id: <x@y.example>\r\n\r\nbody\r\n",
                        RECEIVED + "DATE: Mon, 2 Jun 2025 08:00:00 +0200\r\nmessage-id: <x@y.example>\r\n\r\nbody\r\n"),
                // RFC 5322 §4.5: obsolete white space before the colon; such fields are still fields
                arguments("Subject : hi\r\nDate\t: Mon, 2 Jun 2025 08:00:00 +0200\r\n\r\nbody\r\n",
                        RECEIVED + "Subject : hi\r\nDate\t: Mon, 2 Jun 2025 08:00:00 +0200\r\n" + MESSAGE_ID + "\r\nbody\r\n"),
                // look-alike fields are not the real ones
                arguments("Resent-Date: Mon, 2 Jun 2025 08:00:00 +0200\r\nX-Message-ID: <x@y.example>\r\n\r\nbody\r\n",
                        RECEIVED + "Resent-Date: Mon, 2 Jun 2025 08:00:00 +0200\r\nX-Message-ID: <x@y.example>\r\n"
                                + DATE + MESSAGE_ID + "\r\nbody\r\n"),
                // fields in the body are body
                arguments("Subject: hi\r\n\r\nDate: not a header\r\nMessage-ID: <nor@this>\r\n",
                        RECEIVED + "Subject: hi\r\n" + DATE + MESSAGE_ID + "\r\nDate: not a header\r\nMessage-ID: <nor@this>\r\n"),
                // RFC 5322 §2.2.3: folded fields stay whole, continuation lines included
                arguments("Subject: a long\r\n subject\r\nTo: a@b.example,\r\n\tc@d.example\r\n\r\nbody\r\n",
                        RECEIVED + "Subject: a long\r\n subject\r\nTo: a@b.example,\r\n\tc@d.example\r\n" + DATE
                                + MESSAGE_ID + "\r\nbody\r\n"),
                arguments("Date:\r\n Mon, 2 Jun 2025 08:00:00 +0200\r\n\r\nbody\r\n",
                        RECEIVED + "Date:\r\n Mon, 2 Jun 2025 08:00:00 +0200\r\n" + MESSAGE_ID + "\r\nbody\r\n"),
                // RFC 5322 §2.1: the body is optional, and so is the empty line before it
                arguments("Subject: hi\r\n", RECEIVED + "Subject: hi\r\n" + DATE + MESSAGE_ID),
                arguments("", RECEIVED + DATE + MESSAGE_ID),
                // RFC 5322 §2.1: no header section at all: the fields are added and a separator supplied
                arguments("just a body line\r\nand another\r\n",
                        RECEIVED + DATE + MESSAGE_ID + "\r\njust a body line\r\nand another\r\n"),
                arguments("\r\nbody after an empty header section\r\n",
                        RECEIVED + DATE + MESSAGE_ID + "\r\nbody after an empty header section\r\n"),
                // a continuation line cannot open the header section: it is body
                arguments(" indented first line\r\nSubject: no\r\n",
                        RECEIVED + DATE + MESSAGE_ID + "\r\n indented first line\r\nSubject: no\r\n"),
                // seen in the wild: an mbox "From " line or a stray line ends the header section early
                arguments("From sender@example.com Tue Jun  3 10:15:30 2025\r\nSubject: hi\r\n\r\nbody\r\n",
                        RECEIVED + DATE + MESSAGE_ID + "\r\nFrom sender@example.com Tue Jun  3 10:15:30 2025\r\n"
                                + "Subject: hi\r\n\r\nbody\r\n"),
                arguments("Subject: hi\r\nthis is not a field\r\nTo: x@y.example\r\n",
                        RECEIVED + "Subject: hi\r\n" + DATE + MESSAGE_ID + "\r\nthis is not a field\r\nTo: x@y.example\r\n"),
                // seen in the wild: bare LF line ends are passed through untouched
                arguments("Subject: hi\n\nbody\n", RECEIVED + "Subject: hi\n" + DATE + MESSAGE_ID + "\nbody\n"),
                // 8-bit and UTF-8 content passes through byte for byte (RFC 6532 headers, RFC 6152 bodies)
                arguments("Subject: Grüße\r\n\r\nbody ü\r\n",
                        RECEIVED + "Subject: Grüße\r\n" + DATE + MESSAGE_ID + "\r\nbody ü\r\n"));
    }

    @ParameterizedTest(name = "{index}: {0}")
    @MethodSource("messages")
    void addsTraceAndMissingFields(String sent, String stored) throws IOException {
        assertThat(assemble(sent)).isEqualTo(stored);
    }

    @ParameterizedTest(name = "{0} -> {1} Received")
    @CsvSource(delimiter = '|', textBlock = """
            # RFC 5321 §6.3: every Received field counts, whatever its case or folding
            Subject: x\\r\\n\\r\\n                                                    | 0
            Received: a\\r\\n\\r\\n                                                   | 1
            Received: a\\r\\nreceived: b\\r\\nRECEIVED: c\\r\\n\\r\\n                 | 3
            Received: from a\\r\\n\\tby b\\r\\n\\tfor <c>; date\\r\\nSubject: x\\r\\n\\r\\n | 1
            # look-alikes and body lines do not count
            X-Received: a\\r\\nReceived-SPF: pass\\r\\nARC-Received: x\\r\\n\\r\\n         | 0
            Subject: x\\r\\n\\r\\nReceived: in the body\\r\\n                           | 0
            # RFC 5322 §4.5: obsolete syntax allows white space before the colon, and MUST be accepted (§4)
            Received : obsolete form\\r\\nReceived\\t: tab\\r\\n\\r\\n                 | 2
            """)
    void countsReceivedFields(String sent, int count) throws IOException {
        byte[] bytes = sent.replace("\\r", "\r").replace("\\n", "\n").replace("\\t", "\t").getBytes(StandardCharsets.UTF_8);

        assertThat(assembler.scan(new ByteArrayInputStream(bytes)).receivedCount()).isEqualTo(count);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            # RFC 8689 §3 and §5: TLS-Required: No, the value case-insensitive (RFC 5234 literals)
            TLS-Required: No\\r\\n\\r\\n                              | true
            tls-required: no\\r\\n\\r\\n                              | true
            TLS-Required:No\\r\\nSubject: x\\r\\n\\r\\n              | true
            TLS-Required :   NO  \\r\\n\\r\\n                         | true
            # anything else is not the field: no effect
            TLS-Required: Yes\\r\\n\\r\\n                             | false
            TLS-Required: No thanks\\r\\n\\r\\n                       | false
            X-TLS-Required: No\\r\\n\\r\\n                            | false
            Subject: x\\r\\n\\r\\nTLS-Required: No\\r\\n               | false
            # RTLS-16: at most one field; decision: two count as none
            TLS-Required: No\\r\\nTLS-Required: No\\r\\n\\r\\n         | false
            """)
    void recognisesTlsRequiredNo(String sent, boolean no) throws IOException {
        byte[] bytes = sent.replace("\\r", "\r").replace("\\n", "\n").getBytes(StandardCharsets.UTF_8);

        assertThat(assembler.scan(new ByteArrayInputStream(bytes)).tlsRequiredNo()).isEqualTo(no);
    }

    /** RFC 5321 §6.3: a message that has passed through too many hosts is a loop. */
    @Test
    void refusesAMessageAboveTheReceivedLimit() throws IOException {
        String three = "Received: a\r\nReceived: b\r\nReceived: c\r\n\r\nbody\r\n";
        assertThat(assemble(three)).startsWith(RECEIVED + "Received: a\r\n");

        String four = "Received: a\r\nReceived: b\r\n\tfolded\r\nReceived: c\r\nReceived: d\r\n\r\nbody\r\n";
        assertThatThrownBy(() -> assemble(four))
                .isInstanceOf(MessageAssembler.RoutingLoopException.class)
                .hasMessage("4 Received header fields");
    }

    /** The body is streamed, not buffered: only the header section is read before the caller reads. */
    @Test
    void readsOnlyTheHeaderSectionUpFront() throws IOException {
        byte[] message = ("Subject: hi\r\n\r\n" + "x".repeat(100_000) + "\r\n").getBytes(StandardCharsets.US_ASCII);
        ByteArrayInputStream in = new ByteArrayInputStream(message);

        InputStream assembled = assembler.assemble(in, RECEIVED, "id@relay.example", NOW);

        assertThat(in.available()).isEqualTo(message.length - "Subject: hi\r\n\r\n".length());
        assertThat(assembled.readAllBytes()).hasSize(RECEIVED.length() + message.length + DATE.length()
                + "Message-ID: <id@relay.example>\r\n".length());
    }

    /** RFC 5322 §2.1.1: an absurdly long first line is not a header field; it is kept whole in the body. */
    @Test
    void treatsAnOverlongLineAsBody() throws IOException {
        String line = "X-Long: " + "y".repeat(70_000) + "\r\n";

        String stored = assemble(line + "\r\nbody\r\n");

        String head = RECEIVED + DATE + MESSAGE_ID;
        assertThat(stored).startsWith(head);
        // compared as a boolean so that a failure does not print 70 000 characters
        assertThat(stored.substring(head.length()).equals("\r\n" + line + "\r\nbody\r\n"))
                .as("the overlong line and the rest follow an inserted separator").isTrue();
    }

    private String assemble(String sent) throws IOException {
        InputStream in = new ByteArrayInputStream(sent.getBytes(StandardCharsets.UTF_8));
        return new String(assembler.assemble(in, RECEIVED, "0123456789ABCDEFG@relay.example", NOW).readAllBytes(),
                StandardCharsets.UTF_8);
    }
}
