package relay.queue;

import jakarta.mail.BodyPart;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetHeaders;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.eclipse.angus.mail.dsn.DeliveryStatus;
import org.eclipse.angus.mail.dsn.MultipartReport;

/** A DSN read back the way a mail client would: Jakarta Mail over the bytes, Angus's dsn handlers. */
record ParsedDsn(MimeMessage message, MultipartReport report, DeliveryStatus status) {

    static ParsedDsn parse(byte[] bytes) throws Exception {
        MimeMessage m = new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(bytes));
        Object content = m.getContent();
        if (!(content instanceof MultipartReport report)) {
            throw new AssertionError("not a multipart/report but " + m.getContentType() + " -> " + content.getClass());
        }
        if (!(report.getReport() instanceof DeliveryStatus status)) {
            throw new AssertionError("report-type is not delivery-status: " + report.getReport());
        }
        return new ParsedDsn(m, report, status);
    }

    BodyPart part(int i) throws Exception {
        return report.getBodyPart(i);
    }

    /** One field of the per-message block, or null. */
    String perMessage(String name) {
        return status.getMessageDSN().getHeader(name, null);
    }

    List<InternetHeaders> recipientBlocks() {
        List<InternetHeaders> blocks = new ArrayList<>();
        for (int i = 0; i < status.getRecipientDSNCount(); i++) {
            blocks.add(status.getRecipientDSN(i));
        }
        return blocks;
    }

    List<String> finalRecipients() {
        return recipientBlocks().stream().map(h -> h.getHeader("Final-Recipient", null)).toList();
    }
}
