package relay.core.smtp;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * What a submission server adds to a message (RFC 5321 §4.4, RFC 6409 §8): a {@code Received}
 * trace field on top, and {@code Date} and {@code Message-ID} when the message lacks them. Reads
 * only the header section; the body streams through untouched.
 */
final class MessageAssembler {

    /** RFC 5322 §3.3 date-time, always with a numeric zone. */
    static final DateTimeFormatter RFC5322_DATE =
            DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ROOT);
    private static final int MAX_LINE = 64 * 1024;

    private final int maxReceived;

    MessageAssembler(int maxReceived) {
        this.maxReceived = maxReceived;
    }

    /**
     * Facts about the header section of a message as the client sent it.
     *
     * @param fieldBytes the header fields, up to but not including the line that ended them
     * @param endBytes the line that ended the header section: the empty separator line, or an
     *     inserted separator followed by the first body line of a message that had none; empty
     *     when the data ended with the fields
     */
    record HeaderScan(byte[] fieldBytes, byte[] endBytes, int receivedCount, boolean hasDate, boolean hasMessageId,
            boolean tlsRequiredNo) {
    }

    /**
     * Returns the whole message to store: the trace field, the client's header section, the
     * missing fields, then the rest of {@code in}.
     *
     * @throws RoutingLoopException when the message already carries more than the allowed
     *     number of Received fields
     */
    InputStream assemble(InputStream in, String receivedField, String messageId, ZonedDateTime now) throws IOException {
        return assembleMessage(in, receivedField, messageId, now).stream();
    }

    /**
     * The message to store and what its header said that the delivery needs to know.
     *
     * @param tlsRequiredNo RFC 8689 §5: the sender asked, with {@code TLS-Required: No}, that TLS
     *     policies (MTA-STS, DANE) not stop this message
     */
    record Assembled(InputStream stream, boolean tlsRequiredNo) {
    }

    Assembled assembleMessage(InputStream in, String receivedField, String messageId, ZonedDateTime now)
            throws IOException {
        HeaderScan scan = scan(in);
        if (scan.receivedCount() > maxReceived) {
            throw new RoutingLoopException(scan.receivedCount());
        }
        ByteArrayOutputStream head = new ByteArrayOutputStream(scan.fieldBytes().length + 512);
        head.writeBytes(receivedField.getBytes(StandardCharsets.UTF_8));
        head.writeBytes(scan.fieldBytes());
        StringBuilder added = new StringBuilder();
        if (!scan.hasDate()) {
            added.append("Date: ").append(RFC5322_DATE.format(now)).append("\r\n");
        }
        if (!scan.hasMessageId()) {
            added.append("Message-ID: <").append(messageId).append(">\r\n");
        }
        // the added fields go before the line that ended the header section, never after it:
        // after the empty separator they would be body text (RFC 5322 §2.1)
        head.writeBytes(added.toString().getBytes(StandardCharsets.US_ASCII));
        head.writeBytes(scan.endBytes());
        return new Assembled(new SequenceInputStream(new ByteArrayInputStream(head.toByteArray()), in),
                scan.tlsRequiredNo());
    }

    /**
     * Reads header fields up to and including the empty line that ends them (RFC 5322 §2.1). A line
     * that is neither a field nor a continuation ends the section too; it is then given back as the
     * start of the body after an inserted empty line.
     */
    HeaderScan scan(InputStream in) throws IOException {
        ByteArrayOutputStream fields = new ByteArrayOutputStream(2048);
        int received = 0;
        boolean date = false;
        boolean messageId = false;
        boolean tlsNo = false;
        // RFC 8689 §3 (RTLS-16): at most one TLS-Required field; decision: two or more count as none
        int tlsHeaders = 0;
        boolean first = true;
        while (true) {
            byte[] line = readLine(in);
            if (line.length == 0) {
                // end of data without a body
                return new HeaderScan(fields.toByteArray(), new byte[0], received, date, messageId, tlsNo && tlsHeaders == 1);
            }
            if (isBlank(line)) {
                return new HeaderScan(fields.toByteArray(), line, received, date, messageId, tlsNo && tlsHeaders == 1);
            }
            boolean continuation = line[0] == ' ' || line[0] == '\t';
            boolean overlong = line[line.length - 1] != '\n' && line.length > MAX_LINE;
            String name = continuation ? null : fieldName(line);
            if (overlong || (continuation && first) || (!continuation && name == null)) {
                // not a header line: the message has no (more) header fields
                ByteArrayOutputStream end = new ByteArrayOutputStream(line.length + 2);
                end.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
                end.writeBytes(line);
                return new HeaderScan(fields.toByteArray(), end.toByteArray(), received, date, messageId, tlsNo && tlsHeaders == 1);
            }
            first = false;
            fields.writeBytes(line);
            if (name != null) {
                switch (name) {
                    case "received" -> received++;
                    case "date" -> date = true;
                    case "message-id" -> messageId = true;
                    case "tls-required" -> {
                        tlsHeaders++;
                        tlsNo = isNo(line);
                    }
                    default -> { }
                }
            }
        }
    }

    /**
     * The lower-cased field name if the line starts with {@code name:} (RFC 5322 §2.2 ftext), or
     * with {@code name WSP :}, the obsolete form that a receiver must still accept (RFC 5322 §4.5).
     */
    private static String fieldName(byte[] line) {
        int i = 0;
        while (i < line.length && line[i] >= 33 && line[i] <= 126 && line[i] != ':') {
            i++;
        }
        int nameEnd = i;
        while (i < line.length && (line[i] == ' ' || line[i] == '\t')) {
            i++;
        }
        if (nameEnd == 0 || i >= line.length || line[i] != ':') {
            return null;
        }
        return new String(line, 0, nameEnd, StandardCharsets.US_ASCII).toLowerCase(Locale.ROOT);
    }

    /** RFC 8689 §5: {@code TLS-Required: No}, the value case-insensitive, white space around it ignored. */
    private static boolean isNo(byte[] line) {
        String text = new String(line, StandardCharsets.US_ASCII);
        return text.substring(text.indexOf(':') + 1).strip().equalsIgnoreCase("no");
    }

    private static boolean isBlank(byte[] line) {
        return (line.length == 2 && line[0] == '\r' && line[1] == '\n') || (line.length == 1 && line[0] == '\n');
    }

    /** One line including its line end; empty at end of stream. */
    private static byte[] readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(128);
        int b;
        while ((b = in.read()) >= 0) {
            line.write(b);
            if (b == '\n') {
                break;
            }
            if (line.size() > MAX_LINE) {
                // an absurd header line: the scan stops and the rest is body
                break;
            }
        }
        return line.toByteArray();
    }

    /** The message has passed through too many hosts (RFC 5321 §6.3). */
    static final class RoutingLoopException extends IOException {
        RoutingLoopException(int count) {
            super(count + " Received header fields");
        }
    }
}
