package relay.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static relay.queue.QueueFixture.addr;

import jakarta.mail.internet.ContentType;
import jakarta.mail.internet.InternetHeaders;
import jakarta.mail.internet.MailDateFormat;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import relay.core.mail.QueueId;

class DsnWriterTest {

    private static final QueueId ID = new QueueId("1KQ3M8V2000ABCDEF");
    private static final Instant ARRIVAL = Instant.parse("2026-03-02T09:00:00Z");
    private static final Instant NOW = Instant.parse("2026-03-07T09:00:00Z");
    private static final byte[] HEADERS = ("From: Alice <Alice.Smith@origin.example>\r\n"
            + "To: Bob.Jones@dest.example\r\n"
            + "Subject: Quarterly report\r\n"
            + "Message-ID: <q1@origin.example>\r\n\r\n").getBytes(StandardCharsets.US_ASCII);

    private final DsnWriter writer = new DsnWriter("relay.example.test");

    private static DsnWriter.Failure failure(String recipient, String status, String diagnostic, String remoteMta) {
        return new DsnWriter.Failure(addr(recipient), status, diagnostic, Optional.ofNullable(remoteMta),
                NOW.minusSeconds(60));
    }

    private static DsnWriter.Failure userUnknown() {
        return failure("Bob.Jones@dest.example", "5.1.1", "550 5.1.1 <Bob.Jones@dest.example>: Recipient address rejected",
                "mx1.dest.example");
    }

    private ParsedDsn dsn(DsnWriter.Failure... failures) throws Exception {
        return ParsedDsn.parse(raw(failures));
    }

    private byte[] raw(DsnWriter.Failure... failures) throws Exception {
        return writer.failed(ID, addr("Alice.Smith@origin.example"), ARRIVAL, List.of(failures), HEADERS, NOW);
    }

    // ---- RFC 6522: the multipart/report container

    @Test
    void isAMultipartReportOfDeliveryStatusWithThreeParts() throws Exception {
        ParsedDsn dsn = dsn(userUnknown());

        ContentType type = new ContentType(dsn.message().getContentType());
        assertThat(type.getBaseType()).isEqualToIgnoringCase("multipart/report");
        assertThat(type.getParameter("report-type")).isEqualTo("delivery-status");
        assertThat(dsn.report().getCount()).isEqualTo(3);
        assertThat(dsn.part(0).isMimeType("text/plain")).isTrue();
        assertThat(dsn.part(1).isMimeType("message/delivery-status")).isTrue();
        assertThat(dsn.part(2).isMimeType("text/rfc822-headers")).isTrue();
    }

    @Test
    void comesFromTheMailerDaemonToTheReturnPathAsAnAutoReply() throws Exception {
        MimeMessage m = dsn(userUnknown()).message();

        assertThat(m.getFrom()).extracting(Object::toString).singleElement().asString()
                .contains("<MAILER-DAEMON@relay.example.test>");
        assertThat(m.getHeader("To", null)).isEqualTo("Alice.Smith@origin.example");
        // RFC 3834 §5: so that vacation responders and the like stay quiet
        assertThat(m.getHeader("Auto-Submitted", null)).isEqualTo("auto-replied");
        assertThat(m.getSubject()).isNotBlank();
        assertThat(m.getSentDate()).isEqualTo(java.util.Date.from(NOW));
        assertThat(m.getMessageID()).contains(ID.value()).endsWith("@relay.example.test>");
    }

    // ---- RFC 3464 §2.2: per-message fields

    @Test
    void namesTheReportingMtaAndTheArrivalDate() throws Exception {
        ParsedDsn dsn = dsn(userUnknown());

        assertThat(dsn.perMessage("Reporting-MTA")).isEqualTo("dns; relay.example.test");
        assertThat(new MailDateFormat().parse(dsn.perMessage("Arrival-Date")).toInstant()).isEqualTo(ARRIVAL);
    }

    // ---- RFC 3464 §2.3: per-recipient fields

    @Test
    void namesTheFinalRecipientWithItsCaseAndSaysFailed() throws Exception {
        InternetHeaders block = dsn(userUnknown()).recipientBlocks().get(0);

        // RFC 5321 §2.4: the local part is case-sensitive, so the report keeps it as given
        assertThat(block.getHeader("Final-Recipient", null)).isEqualTo("rfc822; Bob.Jones@dest.example");
        assertThat(block.getHeader("Action", null)).isEqualTo("failed");
        assertThat(new MailDateFormat().parse(block.getHeader("Last-Attempt-Date", null)).toInstant())
                .isEqualTo(NOW.minusSeconds(60));
    }

    @ParameterizedTest(name = "Status {0}")
    @CsvSource({
            // RFC 3463 codes as the agent reports them: permanent
            "5.1.1", "5.7.26", "5.4.4",
            // the last transient status of a message that ran out of queue lifetime
            "4.4.1", "4.4.7", "4.3.0",
    })
    void carriesTheStatusAsAnEnhancedStatusCode(String status) throws Exception {
        InternetHeaders block = dsn(failure("bob@dest.example", status, "whatever", null)).recipientBlocks().get(0);

        // RFC 3464 §2.3.4: status-code = DIGIT "." 1*3DIGIT "." 1*3DIGIT, class 2, 4 or 5
        assertThat(block.getHeader("Status", null)).isEqualTo(status).matches("[245]\\.\\d{1,3}\\.\\d{1,3}");
    }

    static Stream<Arguments> remoteMtaOrNot() {
        return Stream.of(
                // RFC 3464 §2.3.5/§2.3.6: a remote MTA answered: name it and quote its reply
                Arguments.of("mx1.dest.example", "550 5.1.1 user unknown", "dns; mx1.dest.example",
                        "smtp; 550 5.1.1 user unknown"),
                Arguments.of("mx2.dest.example", "554 5.7.1 rejected by policy", "dns; mx2.dest.example",
                        "smtp; 554 5.7.1 rejected by policy"),
                // nobody answered (timeout, NXDOMAIN, null MX): neither field
                Arguments.of(null, "connect to mx1.dest.example[192.0.2.1]:25: Connection timed out", null, null),
                Arguments.of(null, "Domain dest.example does not accept mail (null MX)", null, null));
    }

    @ParameterizedTest(name = "remote MTA {0}")
    @MethodSource("remoteMtaOrNot")
    void remoteMtaAndDiagnosticCodeOnlyWhenARemoteMtaAnswered(String remote, String reply, String remoteField,
            String diagnosticField) throws Exception {
        ParsedDsn dsn = dsn(failure("bob@dest.example", "5.1.1", reply, remote));
        InternetHeaders block = dsn.recipientBlocks().get(0);

        assertThat(block.getHeader("Remote-MTA", null)).isEqualTo(remoteField);
        assertThat(block.getHeader("Diagnostic-Code", null)).isEqualTo(diagnosticField);
        // the reason is given to the human reader either way
        assertThat((String) dsn.part(0).getContent()).contains("<bob@dest.example>: " + reply);
    }

    @Test
    void neverSaysWillRetryUntilInAFailureReport() throws Exception {
        byte[] raw = raw(userUnknown(), failure("carol@dest.example", "4.4.7", "timed out", null));

        // RFC 3464 §2.3.7: Will-Retry-Until belongs to "delayed" reports only
        assertThat(new String(raw, StandardCharsets.US_ASCII)).doesNotContainIgnoringCase("Will-Retry-Until");
        assertThat(ParsedDsn.parse(raw).recipientBlocks()).allSatisfy(
                b -> assertThat(b.getHeader("Will-Retry-Until")).isNull());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            // seen in the wild: multi-line replies joined with their line ends
            "multi-line reply | 550-5.1.1 first line\\r\\n550 5.1.1 second line | smtp; 550-5.1.1 first line 550 5.1.1 second line",
            // a hostile reply trying to add a field of its own
            "injected field   | 550 bad\\nX-Injected: yes                       | smtp; 550 bad X-Injected: yes",
            "trailing CRLFs   | 550 sorry\\r\\n\\r\\n                               | smtp; 550 sorry",
            "bare CR          | 550 one\\rtwo                                   | smtp; 550 one two",
    })
    void foldsARemoteReplyOntoOneLine(String name, String reply, String expected) throws Exception {
        String unescaped = reply.replace("\\r", "\r").replace("\\n", "\n");
        ParsedDsn dsn = dsn(failure("bob@dest.example", "5.1.1", unescaped, "mx1.dest.example"));
        InternetHeaders block = dsn.recipientBlocks().get(0);

        assertThat(block.getHeader("Diagnostic-Code", null)).isEqualTo(expected).doesNotContain("\r", "\n");
        assertThat(block.getHeader("X-Injected")).isNull();
        assertThat(dsn.status().getMessageDSN().getHeader("X-Injected")).isNull();
        assertThat((String) dsn.part(0).getContent()).doesNotContain("\nX-Injected");
    }

    @Test
    void oneRecipientBlockPerFailureInOrder() throws Exception {
        ParsedDsn dsn = dsn(userUnknown(), failure("carol@other.example", "4.4.7", "expired", null),
                failure("Dave@dest.example", "5.2.2", "552 5.2.2 mailbox full", "mx1.dest.example"));

        assertThat(dsn.finalRecipients()).containsExactly("rfc822; Bob.Jones@dest.example",
                "rfc822; carol@other.example", "rfc822; Dave@dest.example");
        assertThat(dsn.recipientBlocks()).extracting(b -> b.getHeader("Status", null))
                .containsExactly("5.1.1", "4.4.7", "5.2.2");
    }

    @Test
    void thirdPartHoldsTheOriginalHeadersOnly() throws Exception {
        ParsedDsn dsn = dsn(userUnknown());

        MimeMessage returned = dsn.report().getReturnedMessage();
        assertThat(returned.getSubject()).isEqualTo("Quarterly report");
        // the sender matches the report to the message by its Message-ID: it must not be replaced
        assertThat(returned.getMessageID()).isEqualTo("<q1@origin.example>");
        // nothing of Jakarta Mail's own is added to the returned header (no MIME-Version, no Date)
        assertThat(returned.getHeader("MIME-Version")).isNull();
        assertThat(returned.getHeader("Date")).isNull();
        assertThat(new String(dsn.part(2).getInputStream().readAllBytes(), StandardCharsets.US_ASCII))
                .isEqualTo(new String(HEADERS, StandardCharsets.US_ASCII));
    }

    // ---- the header section handed to the writer

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            // RFC 5322 §2.1: header fields, an empty line, then the body
            "CRLF line ends         | A: 1\\r\\nB: 2\\r\\n\\r\\nbody\\r\\n  | A: 1\\r\\nB: 2\\r\\n\\r\\n  | body\\r\\n",
            "folded field           | A: 1\\r\\n 2\\r\\n\\r\\nbody        | A: 1\\r\\n 2\\r\\n\\r\\n    | body",
            "a CR inside a line     | A: x\\ry\\r\\n\\r\\nbody          | A: x\\ry\\r\\n\\r\\n      | body",
            // seen in the wild: bare LF line ends
            "LF line ends           | A: 1\\nB: 2\\n\\nbody\\n          | A: 1\\nB: 2\\n\\n        | body\\n",
            "no body                | A: 1\\r\\n                      | A: 1\\r\\n             | ''",
            "empty message          | ''                            | ''                   | ''",
            "no header fields       | \\r\\nbody                      | \\r\\n                 | body",
    })
    void headerSectionStopsAtTheBlankLine(String name, String message, String headers, String rest) throws Exception {
        ByteArrayInputStream in = new ByteArrayInputStream(unescape(message).getBytes(StandardCharsets.US_ASCII));

        assertThat(new String(DsnWriter.headerSection(in), StandardCharsets.US_ASCII)).isEqualTo(unescape(headers));
        assertThat(new String(in.readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo(unescape(rest));
    }

    @ParameterizedTest(name = "{0} octets of header fields")
    @CsvSource({"1000", "65000", "65532", "65533", "65535", "65536", "65537", "70000", "1048576"})
    void headerSectionIsCappedAt64KiB(int size) throws Exception {
        byte[] huge = new byte[size + 8];
        Arrays.fill(huge, (byte) 'x');
        for (int i = 77; i < size; i += 78) {
            huge[i - 1] = '\r';
            huge[i] = '\n';
        }
        System.arraycopy("\r\n\r\nbody".getBytes(StandardCharsets.US_ASCII), 0, huge, size, 8);

        byte[] section = DsnWriter.headerSection(new ByteArrayInputStream(huge));

        int expected = Math.min(size + 4, 64 * 1024);
        assertThat(section).hasSize(expected).isEqualTo(Arrays.copyOf(huge, expected));
    }

    private static String unescape(String s) {
        return s.replace("\\r", "\r").replace("\\n", "\n");
    }
}
