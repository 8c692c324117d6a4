package relay.queue;

import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.InternetHeaders;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;
import org.eclipse.angus.mail.dsn.DeliveryStatus;
import org.eclipse.angus.mail.dsn.MessageHeaders;
import org.eclipse.angus.mail.dsn.MultipartReport;
import relay.core.mail.MailAddress;
import relay.core.mail.QueueId;

/**
 * Builds non-delivery reports: RFC 3464 delivery status notifications inside an RFC 6522
 * {@code multipart/report}, with Angus Mail's {@code dsn} classes.
 */
final class DsnWriter {

    private static final DateTimeFormatter DATE =
            DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ROOT).withZone(ZoneOffset.UTC);

    /** One recipient the report is about. */
    record Failure(MailAddress recipient, String status, String diagnostic, Optional<String> remoteMta, Instant lastAttempt) {
    }

    private final String reportingMta;
    private final Session session;

    DsnWriter(String reportingMta) {
        this.reportingMta = reportingMta;
        Properties p = new Properties();
        p.setProperty("mail.host", reportingMta);
        this.session = Session.getInstance(p);
    }

    /**
     * The complete DSN message. RFC 3464 §2: addressed to the original envelope sender (it goes
     * out with the null reverse-path, so no report is ever sent about a report); RFC 3464 §2.3:
     * one recipient block per failure with Final-Recipient, Action, Status, and Remote-MTA and
     * Diagnostic-Code only when a remote MTA answered. The third part holds the original headers.
     */
    byte[] failed(QueueId original, MailAddress returnPath, Instant arrival, List<Failure> failures,
            byte[] originalHeaders, Instant now) throws MessagingException, IOException {
        DeliveryStatus status = new DeliveryStatus();
        InternetHeaders perMessage = new InternetHeaders();
        perMessage.addHeader("Reporting-MTA", "dns; " + reportingMta);
        perMessage.addHeader("X-Relay-Queue-ID", original.value());
        perMessage.addHeader("Arrival-Date", DATE.format(arrival));
        status.setMessageDSN(perMessage);
        StringBuilder text = new StringBuilder()
                .append("This is the mail system at host ").append(reportingMta).append(".\r\n\r\n")
                .append("Your message could not be delivered to one or more recipients.\r\n")
                .append("It is attached below (headers only).\r\n\r\n");
        for (Failure f : failures) {
            InternetHeaders r = new InternetHeaders();
            r.addHeader("Final-Recipient", "rfc822; " + f.recipient());
            r.addHeader("Action", "failed");
            r.addHeader("Status", f.status());
            f.remoteMta().ifPresent(m -> r.addHeader("Remote-MTA", "dns; " + m));
            if (f.remoteMta().isPresent()) {
                r.addHeader("Diagnostic-Code", "smtp; " + oneLine(f.diagnostic()));
            }
            r.addHeader("Last-Attempt-Date", DATE.format(f.lastAttempt()));
            status.addRecipientDSN(r);
            text.append("<").append(f.recipient()).append(">: ").append(oneLine(f.diagnostic())).append("\r\n");
        }
        InternetHeaders headers = new InternetHeaders(new java.io.ByteArrayInputStream(originalHeaders));
        MultipartReport report = new MultipartReport(text.toString(), status);
        // RFC 6522 §3 / RFC 3464 §2: the third part returns the failed message's own header.
        // Jakarta Mail "saves" a header-only MessageHeaders as it writes it, which replaced the
        // original Message-ID with a fresh <...@localhost> and added MIME-Version and Date; the
        // sender could then not match the report to the message. Keep the fields as they were.
        report.setReturnedMessage(new MessageHeaders(headers) {
            @Override
            protected void updateHeaders() {
                // verbatim: no Message-ID, MIME-Version or Date of our own
            }
        });
        MimeMessage dsn = new MimeMessage(session) {
            @Override
            protected void updateMessageID() throws MessagingException {
                setHeader("Message-ID", "<" + original.value() + ".dsn@" + reportingMta + ">");
            }
        };
        dsn.setFrom(new InternetAddress("MAILER-DAEMON@" + reportingMta, "Mail Delivery System", "UTF-8"));
        dsn.setRecipient(MimeMessage.RecipientType.TO, new InternetAddress(returnPath.toString(), false));
        dsn.setSubject("Undelivered Mail Returned to Sender", "UTF-8");
        dsn.setHeader("Date", DATE.format(now));
        // RFC 3834 §5: a machine-made reply, so that auto-responders stay quiet
        dsn.setHeader("Auto-Submitted", "auto-replied");
        dsn.setContent(report);
        dsn.saveChanges();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        dsn.writeTo(out);
        return out.toByteArray();
    }

    /** Header field values are single lines: fold any CR/LF a remote reply carried into spaces. */
    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("[\\r\\n]+", " ").strip();
    }

    /** The header section of a stored message, up to the empty line (at most 64 KiB). */
    static byte[] headerSection(java.io.InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int prev = -1;
        int b;
        int lineLength = 0;
        while ((b = in.read()) >= 0 && out.size() < 64 * 1024) {
            out.write(b);
            if (b == '\n') {
                if (lineLength == 0 || (lineLength == 1 && prev == '\r')) {
                    break;
                }
                lineLength = 0;
            } else {
                lineLength++;
            }
            prev = b;
        }
        return out.toByteArray();
    }
}
