package relay.sts.report.mail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.json.JsonMapper;
import jakarta.mail.BodyPart;
import jakarta.mail.Session;
import jakarta.mail.internet.ContentType;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.zip.GZIPInputStream;
import org.apache.james.jdkim.DKIMVerifier;
import org.apache.james.jdkim.api.SignatureRecord;
import org.apache.james.jdkim.exceptions.FailException;
import org.apache.james.jdkim.exceptions.PermFailException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import relay.core.mail.Domain;
import relay.core.mail.MailAddress;
import relay.core.policy.ReportedPolicy;
import relay.core.report.TlsResultType;
import relay.sts.report.FailureDetail;
import relay.sts.report.PolicyResults;
import relay.sts.report.Reporter;
import relay.sts.report.TlsReport;
import relay.sts.report.json.ReportGzip;
import relay.sts.report.json.ReportJson;

/** RFC 8460 §5.3: the mailed report, read back with Jakarta Mail and checked with jDKIM's verifier. */
class ReportMessageTest {

    static final Domain POLICY_DOMAIN = Domain.parse("example.net");
    static final LocalDate DAY = LocalDate.parse("2026-11-21");
    static final Reporter REPORTER = new Reporter("Relay Org", MailAddress.parse("tlsrpt@reports.relay.example", false));
    static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-22T02:30:00Z"), ZoneOffset.UTC);
    static KeyPair keys;

    @BeforeAll
    static void keys() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        keys = g.generateKeyPair();
    }

    /** The TXT record of the public key (RPT-44 decided: s=email:tlsrpt). */
    static String keyRecord(KeyPair k) {
        return "v=DKIM1; k=rsa; s=email:tlsrpt; p=" + Base64.getEncoder().encodeToString(k.getPublic().getEncoded());
    }

    static TlsReport report() {
        ReportedPolicy sts = new ReportedPolicy(ReportedPolicy.Type.STS,
                List.of("version: STSv1", "mode: enforce", "mx: mx.example.net", "max_age: 86400"), List.of("mx.example.net"), "1");
        FailureDetail expired = new FailureDetail(TlsResultType.CERTIFICATE_EXPIRED, Optional.of("192.0.2.1"),
                Optional.of("mx.example.net"), Optional.empty(), Optional.of("198.51.100.7"), Optional.empty(), 3);
        return new TlsReport(REPORTER, POLICY_DOMAIN, DAY, "5065427c-23d3-47ca-b6e0-946ea0e8c4be",
                List.of(new PolicyResults(POLICY_DOMAIN, DAY, sts, 40, 3, List.of(expired))));
    }

    static byte[] message(DkimKey key) {
        TlsReport r = report();
        return new ReportMessage(key, CLOCK).build(r, ReportGzip.of(r),
                List.of(MailAddress.parse("tlsrpt@example.net", false), MailAddress.parse("rua@third.example", false)));
    }

    static DkimKey key() {
        return new DkimKey(Domain.parse("relay.example"), "tlsrpt2026", keys.getPrivate());
    }

    static List<SignatureRecord> verify(byte[] message, String keyRecord) throws Exception {
        DKIMVerifier verifier = new DKIMVerifier((method, selector, domain) -> {
            assertThat(selector + "._domainkey." + domain).isEqualTo("tlsrpt2026._domainkey.relay.example");
            return List.of(keyRecord);
        });
        return verifier.verify(new ByteArrayInputStream(message));
    }

    @Test
    void isAMultipartReportWithTheTlsrptParts() throws Exception {
        byte[] bytes = message(key());
        MimeMessage m = new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(bytes));
        // RPT-37
        ContentType type = new ContentType(m.getContentType());
        assertThat(type.getBaseType()).isEqualTo("multipart/report");
        assertThat(type.getParameter("report-type")).isEqualTo("tlsrpt");
        MimeMultipart parts = (MimeMultipart) m.getContent();
        assertThat(parts.getCount()).isEqualTo(2);
        BodyPart text = parts.getBodyPart(0);
        assertThat(new ContentType(text.getContentType()).getBaseType()).isEqualTo("text/plain");
        assertThat((String) text.getContent()).contains("example.net").contains("40 successful and 3 failed");
        BodyPart attachment = parts.getBodyPart(1);
        assertThat(new ContentType(attachment.getContentType()).getBaseType()).isEqualTo("application/tlsrpt+gzip");
        // RPT-35
        assertThat(attachment.getFileName())
                .isEqualTo("reports.relay.example!example.net!1795219200!1795305599!5065427c23d347cab6e0946ea0e8c4be.json.gz")
                .matches("^[^!]+![^!]+!\\d+!\\d+(![A-Za-z0-9]+)?\\.json(\\.gz)?$");
        // RPT-36: gzip, and the JSON inside is the report
        byte[] gz;
        try (InputStream in = attachment.getInputStream()) {
            gz = in.readAllBytes();
        }
        assertThat(gz[0]).isEqualTo((byte) 0x1f);
        assertThat(gz[1]).isEqualTo((byte) 0x8b);
        byte[] json;
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(gz))) {
            json = in.readAllBytes();
        }
        JsonMapper mapper = new JsonMapper();
        assertThat(mapper.readTree(json)).isEqualTo(mapper.readTree(ReportJson.write(report())));
        assertThat(mapper.readTree(json).at("/policies/0/summary/total-failure-session-count").asLong()).isEqualTo(3);
    }

    @Test
    void carriesTheRfc8460Headers() throws Exception {
        MimeMessage m = new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(message(key())));
        // RPT-38, RPT-39
        assertThat(m.getHeader("TLS-Report-Domain", null)).isEqualTo("example.net");
        assertThat(m.getHeader("TLS-Report-Submitter", null)).isEqualTo("reports.relay.example");
        // RPT-45, RFC 8689 §5
        assertThat(m.getHeader("TLS-Required", null)).isEqualTo("No");
        // RPT-40
        assertThat(m.getSubject().replaceAll("\\s+", " "))
                .matches("^Report\\s+Domain:\\s+\\S+\\s+Submitter:\\s+\\S+\\s+Report-ID:\\s+<[^@>]+@[^>]+>$")
                .isEqualTo("Report Domain: example.net Submitter: reports.relay.example "
                        + "Report-ID: <5065427c-23d3-47ca-b6e0-946ea0e8c4be@reports.relay.example>");
        assertThat(m.getFrom()[0].toString()).isEqualTo("tlsrpt@reports.relay.example");
        assertThat(m.getAllRecipients()).extracting(Object::toString).containsExactly("tlsrpt@example.net", "rua@third.example");
        assertThat(m.getSentDate().toInstant()).isEqualTo(CLOCK.instant());
        assertThat(m.getMessageID()).isEqualTo("<5065427c-23d3-47ca-b6e0-946ea0e8c4be@reports.relay.example>");
    }

    @Test
    void isSevenBitWithCrlfLinesOfAtMost998Octets() {
        String s = new String(message(key()), StandardCharsets.ISO_8859_1);
        assertThat(s.chars().allMatch(c -> c < 128)).isTrue();
        assertThat(s).endsWith("\r\n");
        assertThat(s.replace("\r\n", "\n")).doesNotContain("\r");
        for (String line : s.split("\r\n")) {
            assertThat(line.length()).isLessThanOrEqualTo(998);
        }
    }

    // RPT-41..43: signed by the reporting domain, no l=, h= covers the TLS-Report headers
    @Test
    void theDkimSignatureVerifies() throws Exception {
        List<SignatureRecord> valid = verify(message(key()), keyRecord(keys));
        assertThat(valid).hasSize(1);
        SignatureRecord sig = valid.get(0);
        assertThat(sig.getDToken().toString()).isEqualTo("relay.example");
        assertThat(sig.getSelector().toString()).isEqualTo("tlsrpt2026");
        assertThat(sig.getHeaders()).extracting(h -> h.toString().toLowerCase())
                .contains("tls-report-domain", "tls-report-submitter", "tls-required", "subject", "from", "content-type");
        assertThat(sig.getBodyHashLimit()).isEqualTo(-1);
        String header = new String(message(key()), StandardCharsets.US_ASCII).split("\r\n(?! )")[0];
        assertThat(header).startsWith("DKIM-Signature:").doesNotContainPattern("[;\\s]l=");
    }

    @Test
    void aChangedAttachmentFailsVerification() {
        String s = new String(message(key()), StandardCharsets.US_ASCII);
        int at = s.indexOf("Content-Transfer-Encoding: base64\r\n\r\n", s.indexOf("application/tlsrpt+gzip")) + 40;
        char c = s.charAt(at);
        String tampered = s.substring(0, at) + (c == 'A' ? 'B' : 'A') + s.substring(at + 1);
        assertThatThrownBy(() -> verify(tampered.getBytes(StandardCharsets.US_ASCII), keyRecord(keys)))
                .isInstanceOf(FailException.class);
    }

    @Test
    void anotherKeyFailsVerification() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        KeyPair other = g.generateKeyPair();
        assertThatThrownBy(() -> verify(message(key()), keyRecord(other))).isInstanceOf(PermFailException.class);
    }

    // RPT-41: d= must be the submitter domain or a parent
    @ParameterizedTest(name = "d={0} -> {1}")
    @CsvSource({
        "reports.relay.example, true",
        "relay.example,         true",
        "other.example,         false",
        "x.reports.relay.example, false",
        "lay.example,           false",
    })
    void keyDomainMustCoverTheSubmitter(String d, boolean ok) {
        DkimKey k = new DkimKey(Domain.parse(d), "s1", keys.getPrivate());
        assertThat(k.covers(REPORTER.submitter())).isEqualTo(ok);
        if (!ok) {
            assertThatThrownBy(() -> message(k)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("RFC 8460 §3");
        }
    }

    /**
     * RFC 8460 §5.6 (RPT-49): the receiver trusts the body when they disagree, so the subject, the
     * file name, the TLS-Report-* headers and the JSON must name the same domains and report;
     * RFC 8460 §4.4, §5.1 (RPT-19, RPT-35): an IDN policy domain appears everywhere as A-labels.
     */
    @Test
    void subjectFileNameHeadersAndJsonAgree() throws Exception {
        Domain idn = Domain.parse("bücher.example");
        TlsReport r = new TlsReport(REPORTER, idn, DAY, "5065427c-23d3-47ca-b6e0-946ea0e8c4be",
                List.of(new PolicyResults(idn, DAY, ReportedPolicy.NO_POLICY_FOUND, 5, 0, List.of())));
        byte[] bytes = new ReportMessage(key(), CLOCK).build(r, ReportGzip.of(r),
                List.of(MailAddress.parse("tlsrpt@xn--bcher-kva.example", false)));
        MimeMessage m = new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(bytes));
        BodyPart attachment = ((MimeMultipart) m.getContent()).getBodyPart(1);
        com.fasterxml.jackson.databind.JsonNode json;
        try (InputStream in = new GZIPInputStream(attachment.getInputStream())) {
            json = new JsonMapper().readTree(in);
        }
        java.util.regex.Matcher subject = java.util.regex.Pattern
                .compile("^Report Domain: (\\S+) Submitter: (\\S+) Report-ID: <([^@>]+)@([^>]+)>$")
                .matcher(m.getSubject().replaceAll("\\s+", " "));
        assertThat(subject.matches()).as(m.getSubject()).isTrue();
        String[] file = attachment.getFileName().split("!");

        String domain = "xn--bcher-kva.example";
        assertThat(json.at("/policies/0/policy/policy-domain").asText()).isEqualTo(domain);
        assertThat(subject.group(1)).isEqualTo(domain);
        assertThat(m.getHeader("TLS-Report-Domain", null)).isEqualTo(domain);
        assertThat(file[1]).isEqualTo(domain);

        String submitter = "reports.relay.example";
        assertThat(json.get("contact-info").asText()).endsWith("@" + submitter);
        assertThat(subject.group(2)).isEqualTo(submitter);
        assertThat(m.getHeader("TLS-Report-Submitter", null)).isEqualTo(submitter);
        assertThat(file[0]).isEqualTo(submitter);

        assertThat(subject.group(3)).isEqualTo(json.get("report-id").asText());
        assertThat(Instant.ofEpochSecond(Long.parseLong(file[2])).toString())
                .isEqualTo(json.at("/date-range/start-datetime").asText());
        assertThat(Instant.ofEpochSecond(Long.parseLong(file[3])).toString())
                .isEqualTo(json.at("/date-range/end-datetime").asText());
        assertThat(new String(bytes, StandardCharsets.ISO_8859_1).chars().allMatch(c -> c < 128)).isTrue();
    }
}
