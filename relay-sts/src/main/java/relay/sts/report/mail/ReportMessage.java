package relay.sts.report.mail;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import org.apache.james.jdkim.DKIMSigner;
import org.apache.james.jdkim.exceptions.FailException;
import relay.core.mail.MailAddress;
import relay.sts.report.Reporter;
import relay.sts.report.TlsReport;

/**
 * The mailed form of a report (RFC 8460 §5.3): a {@code multipart/report; report-type="tlsrpt"}
 * message whose first part is human-readable text and whose second is the gzipped JSON as
 * {@code application/tlsrpt+gzip} (RPT-37), with the {@code TLS-Report-Domain} and
 * {@code TLS-Report-Submitter} headers (RPT-38, RPT-39), the §5.3 subject (RPT-40),
 * {@code TLS-Required: No} (RFC 8689 §5, RPT-45) and a DKIM signature by the reporting domain
 * (RPT-41) made with Apache James jDKIM: {@code rsa-sha256}, {@code c=relaxed/relaxed}, no
 * {@code l=} (RPT-42), {@code h=} covering both TLS-Report headers (RPT-43). The bytes are 7-bit
 * with CRLF line ends and no line over 998 octets, ready for {@code Spool.accept}.
 */
public final class ReportMessage {

    /** RFC 8460 §5.3 (RPT-43) plus the fields every message should have signed (RFC 6376 §5.4.1). */
    static final List<String> SIGNED = List.of("From", "To", "Subject", "Date", "Message-ID", "MIME-Version",
            "Content-Type", "TLS-Report-Domain", "TLS-Report-Submitter", "TLS-Required");
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ROOT);
    private static final String CRLF = "\r\n";

    private final DkimKey key;
    private final Clock clock;

    /** @param clock for the {@code Date:} field and the signature's {@code t=} */
    public ReportMessage(DkimKey key, Clock clock) {
        this.key = key;
        this.clock = clock;
    }

    /**
     * The signed message for {@code report}, addressed to the {@code mailto:} rua addresses.
     *
     * @param gzippedJson the report as {@link relay.sts.report.json.ReportGzip} made it
     * @throws IllegalArgumentException when the key's domain does not cover the submitter (RPT-41)
     */
    public byte[] build(TlsReport report, byte[] gzippedJson, List<MailAddress> to) {
        Reporter reporter = report.reporter();
        if (!key.covers(reporter.submitter())) {
            throw new IllegalArgumentException("RFC 8460 §3: DKIM domain " + key.domain()
                    + " is not the report submitter " + reporter.submitter() + " or a parent of it");
        }
        if (to.isEmpty()) {
            throw new IllegalArgumentException("no recipient");
        }
        String unsigned = headers(report, to) + CRLF + body(report, gzippedJson);
        return (sign(unsigned) + CRLF + unsigned).getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * RFC 8460 §5.1 (RPT-35): {@code sender!policy-domain!begin!end!unique-id.json.gz}, the
     * sender being the submitter domain, the times Unix seconds, the unique id the report-id's
     * letters and digits.
     */
    public static String fileName(TlsReport report) {
        String id = report.reportId().replaceAll("[^A-Za-z0-9]", "");
        return report.reporter().submitter().name() + "!" + report.policyDomain().name() + "!"
                + report.start().getEpochSecond() + "!" + report.end().getEpochSecond()
                + (id.isEmpty() ? "" : "!" + id) + ".json.gz";
    }

    /** RFC 8460 §5.3 (RPT-40), folded where FWS is allowed. */
    public static String subject(TlsReport report) {
        return "Report Domain: " + report.policyDomain().name() + CRLF + " Submitter: "
                + report.reporter().submitter().name() + CRLF + " Report-ID: <" + messageIdLeft(report) + "@"
                + report.reporter().submitter().name() + ">";
    }

    private String headers(TlsReport report, List<MailAddress> to) {
        Reporter reporter = report.reporter();
        StringBuilder h = new StringBuilder();
        h.append("From: ").append(reporter.contactInfo()).append(CRLF);
        h.append("To: ").append(to.stream().map(MailAddress::toString).collect(Collectors.joining("," + CRLF + " ")))
                .append(CRLF);
        h.append("Subject: ").append(subject(report)).append(CRLF);
        h.append("Date: ").append(DATE.format(clock.instant().atZone(ZoneOffset.UTC))).append(CRLF);
        h.append("Message-ID: <").append(messageIdLeft(report)).append('@').append(reporter.submitter().name())
                .append('>').append(CRLF);
        h.append("MIME-Version: 1.0").append(CRLF);
        h.append("TLS-Report-Domain: ").append(report.policyDomain().name()).append(CRLF);
        h.append("TLS-Report-Submitter: ").append(reporter.submitter().name()).append(CRLF);
        h.append("TLS-Required: No").append(CRLF);
        h.append("Content-Type: multipart/report; report-type=\"tlsrpt\";").append(CRLF)
                .append(" boundary=\"").append(boundary(report)).append('"').append(CRLF);
        return h.toString();
    }

    private static String body(TlsReport report, byte[] gzippedJson) {
        String b = boundary(report);
        String name = fileName(report);
        StringBuilder s = new StringBuilder();
        s.append("This is a multipart/report message (RFC 8460 SMTP TLS report).").append(CRLF).append(CRLF);
        s.append("--").append(b).append(CRLF);
        s.append(textPart(report));
        s.append("--").append(b).append(CRLF);
        s.append("Content-Type: application/tlsrpt+gzip; name=\"").append(name).append('"').append(CRLF);
        s.append("Content-Disposition: attachment; filename=\"").append(name).append('"').append(CRLF);
        s.append("Content-Transfer-Encoding: base64").append(CRLF).append(CRLF);
        s.append(Base64.getMimeEncoder(76, CRLF.getBytes(StandardCharsets.US_ASCII)).encodeToString(gzippedJson))
                .append(CRLF);
        s.append("--").append(b).append("--").append(CRLF);
        return s.toString();
    }

    /** The human-readable first part: ASCII as 7bit, anything else as base64 UTF-8. */
    private static String textPart(TlsReport report) {
        long ok = report.policies().stream().mapToLong(p -> p.successes()).sum();
        long failed = report.policies().stream().mapToLong(p -> p.failures()).sum();
        String text = "This is an aggregate TLS report (RFC 8460) from " + report.reporter().organizationName() + "\n"
                + "for the policy domain " + report.policyDomain().name() + ", covering " + report.start() + " to "
                + report.end() + ":\n" + ok + " successful and " + failed + " failed sessions.\n"
                + "The report itself is the attached file " + fileName(report) + ".\n";
        boolean ascii = StandardCharsets.US_ASCII.newEncoder().canEncode(text);
        StringBuilder s = new StringBuilder();
        s.append("Content-Type: text/plain; charset=").append(ascii ? "us-ascii" : "utf-8").append(CRLF);
        if (ascii) {
            s.append("Content-Transfer-Encoding: 7bit").append(CRLF).append(CRLF);
            s.append(text.replace("\n", CRLF));
        } else {
            s.append("Content-Transfer-Encoding: base64").append(CRLF).append(CRLF);
            s.append(Base64.getMimeEncoder(76, CRLF.getBytes(StandardCharsets.US_ASCII))
                    .encodeToString(text.getBytes(StandardCharsets.UTF_8))).append(CRLF);
        }
        return s.toString();
    }

    /** The DKIM-Signature field (with its name) for the unsigned message. */
    private String sign(String unsigned) {
        String template = "v=1; a=rsa-sha256; c=relaxed/relaxed; d=" + key.domain().name() + "; s=" + key.selector()
                + "; t=" + clock.instant().getEpochSecond() + "; h=" + String.join(":", SIGNED) + "; bh=; b=;";
        try {
            String field = new DKIMSigner(template, key.privateKey())
                    .sign(new ByteArrayInputStream(unsigned.getBytes(StandardCharsets.US_ASCII)));
            return fold(field);
        } catch (IOException | FailException e) {
            throw new IllegalStateException("DKIM signing failed: " + e.getMessage(), e);
        }
    }

    /**
     * Folds the field after the {@code ;} between tags (where jDKIM wrote one space, so relaxed
     * canonicalisation, RFC 6376 §3.4.2, sees the same field) and inside the base64 of {@code b=},
     * whose whitespace verifiers ignore (§3.5). Other tags stay whole: FWS added inside them would
     * change what was signed.
     */
    static String fold(String field) {
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (String tag : field.split("(?<=;) ")) {
            if (line.length() > 0 && line.length() + 1 + tag.length() > 78) {
                lines.add(line.toString());
                line = new StringBuilder(" ");
            } else if (line.length() > 0) {
                line.append(' ');
            }
            String rest = tag;
            if (rest.startsWith("b=")) {
                while (line.length() + rest.length() > 78) {
                    int cut = 78 - line.length();
                    line.append(rest, 0, cut);
                    lines.add(line.toString());
                    line = new StringBuilder(" ");
                    rest = rest.substring(cut);
                }
            }
            line.append(rest);
        }
        lines.add(line.toString());
        return String.join(CRLF, lines);
    }

    private static String messageIdLeft(TlsReport report) {
        return report.reportId().replaceAll("[^A-Za-z0-9.-]", "");
    }

    private static String boundary(TlsReport report) {
        return "=_tlsrpt_" + report.reportId().replaceAll("[^A-Za-z0-9]", "");
    }
}
