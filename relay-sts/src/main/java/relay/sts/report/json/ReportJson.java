package relay.sts.report.json;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import relay.core.policy.ReportedPolicy;
import relay.sts.report.FailureDetail;
import relay.sts.report.PolicyResults;
import relay.sts.report.TlsReport;

/**
 * Writes a {@link TlsReport} as the RFC 8460 §4.4 JSON: UTF-8 I-JSON (RPT-10), the schema's
 * hyphenated member names exactly (RPT-12, RPT-24), RFC 3339 UTC date-times (RPT-13), counts as
 * JSON integers (RPT-22), {@code policies} always an array (RPT-11). Absent optional members are
 * left out, never written as {@code null}.
 *
 * <p>Decisions:
 * <ul>
 *   <li>RPT-20: {@code mx-host} is an array of strings, as §4.4's prose says (the Appendix B
 *       example's single string is the odd one out); left out when the policy lists none.
 *   <li>RPT-21: {@code policy-domain} is always written, also for {@code no-policy-found}.
 *   <li>{@code policy-string} is left out when the policy has none ({@code no-policy-found}).
 *   <li>{@code failure-details} is always an array, empty on a day with only successes.
 *   <li>RPT-24/27: the recorder's free text goes to {@code additional-information} when it is an
 *       absolute {@code http(s)} URI (the member is an "additional-info-uri"), else to
 *       {@code failure-reason-code}.
 * </ul>
 */
public final class ReportJson {

    private static final JsonFactory FACTORY = JsonFactory.builder().build();

    private ReportJson() {
    }

    /** The report as UTF-8 JSON bytes. */
    public static byte[] write(TlsReport report) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = FACTORY.createGenerator(out, JsonEncoding.UTF8)) {
            g.useDefaultPrettyPrinter();
            g.writeStartObject();
            g.writeStringField("organization-name", report.reporter().organizationName());
            g.writeObjectFieldStart("date-range");
            g.writeStringField("start-datetime", dateTime(report.start()));
            g.writeStringField("end-datetime", dateTime(report.end()));
            g.writeEndObject();
            g.writeStringField("contact-info", report.reporter().contactInfo().toString());
            g.writeStringField("report-id", report.reportId());
            g.writeArrayFieldStart("policies");
            for (PolicyResults p : report.policies()) {
                writePolicy(g, p);
            }
            g.writeEndArray();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("writing JSON to memory", e);
        }
        return out.toByteArray();
    }

    /** RFC 3339 (RPT-13) in UTC with a {@code Z} and whole seconds: {@code 2016-04-01T00:00:00Z}. */
    static String dateTime(Instant t) {
        return DateTimeFormatter.ISO_INSTANT.format(t.truncatedTo(ChronoUnit.SECONDS));
    }

    private static void writePolicy(JsonGenerator g, PolicyResults p) throws IOException {
        ReportedPolicy policy = p.policy();
        g.writeStartObject();
        g.writeObjectFieldStart("policy");
        g.writeStringField("policy-type", policy.type().token());
        if (!policy.policyString().isEmpty()) {
            stringArray(g, "policy-string", policy.policyString());
        }
        g.writeStringField("policy-domain", p.policyDomain().name());
        if (!policy.mxHost().isEmpty()) {
            stringArray(g, "mx-host", policy.mxHost());
        }
        g.writeEndObject();
        g.writeObjectFieldStart("summary");
        g.writeNumberField("total-successful-session-count", p.successes());
        g.writeNumberField("total-failure-session-count", p.failures());
        g.writeEndObject();
        g.writeArrayFieldStart("failure-details");
        for (FailureDetail d : p.details()) {
            writeDetail(g, d);
        }
        g.writeEndArray();
        g.writeEndObject();
    }

    private static void writeDetail(JsonGenerator g, FailureDetail d) throws IOException {
        g.writeStartObject();
        g.writeStringField("result-type", d.resultType().token());
        optional(g, "sending-mta-ip", d.sendingMtaIp());
        optional(g, "receiving-mx-hostname", d.receivingMxHostname());
        optional(g, "receiving-mx-helo", d.receivingMxHelo());
        optional(g, "receiving-ip", d.receivingIp());
        g.writeNumberField("failed-session-count", d.failedSessionCount());
        Optional<String> info = d.additionalInformation().filter(s -> !s.isBlank());
        if (info.isPresent() && isHttpUri(info.get())) {
            g.writeStringField("additional-information", info.get());
        } else {
            optional(g, "failure-reason-code", info);
        }
        g.writeEndObject();
    }

    static boolean isHttpUri(String s) {
        try {
            URI u = new URI(s);
            return u.isAbsolute() && u.getHost() != null
                    && ("https".equalsIgnoreCase(u.getScheme()) || "http".equalsIgnoreCase(u.getScheme()));
        } catch (URISyntaxException e) {
            return false;
        }
    }

    private static void stringArray(JsonGenerator g, String name, List<String> values) throws IOException {
        g.writeArrayFieldStart(name);
        for (String v : values) {
            g.writeString(v);
        }
        g.writeEndArray();
    }

    private static void optional(JsonGenerator g, String name, Optional<String> value) throws IOException {
        if (value.isPresent()) {
            g.writeStringField(name, value.get());
        }
    }
}
