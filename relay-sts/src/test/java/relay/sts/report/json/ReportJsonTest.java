package relay.sts.report.json;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
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

class ReportJsonTest {

    /** RPT-10: a strict parser, rejecting duplicate member names and anything beyond plain JSON. */
    static final JsonMapper STRICT = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .disable(JsonReadFeature.ALLOW_TRAILING_COMMA, JsonReadFeature.ALLOW_SINGLE_QUOTES)
            .build();

    static final Domain COMPANY_Y = Domain.parse("company-y.example");
    static final LocalDate DAY = LocalDate.parse("2016-04-01");

    /** The report of RFC 8460 Appendix B, as this relay would have counted it. */
    static TlsReport appendixB() {
        ReportedPolicy sts = new ReportedPolicy(ReportedPolicy.Type.STS,
                List.of("version: STSv1", "mode: testing", "mx: *.mail.company-y.example", "max_age: 86400"),
                List.of("*.mail.company-y.example"), "20160401");
        List<FailureDetail> details = List.of(
                new FailureDetail(TlsResultType.CERTIFICATE_EXPIRED, Optional.of("2001:db8:abcd:12::1"),
                        Optional.of("mx1.mail.company-y.example"), Optional.empty(), Optional.empty(), Optional.empty(), 100),
                new FailureDetail(TlsResultType.STARTTLS_NOT_SUPPORTED, Optional.of("2001:db8:abcd:13::1"),
                        Optional.of("mx2.mail.company-y.example"), Optional.empty(), Optional.of("203.0.113.56"),
                        Optional.of("https://reports.company-x.example/report_info?id=5065427c-23d3#StarttlsNotSupported"), 200),
                new FailureDetail(TlsResultType.VALIDATION_FAILURE, Optional.of("198.51.100.62"),
                        Optional.of("mx-backup.mail.company-y.example"), Optional.empty(), Optional.of("203.0.113.58"),
                        Optional.of("X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED"), 3));
        return new TlsReport(new Reporter("Company-X", MailAddress.parse("sts-reporting@company-x.example", false)),
                COMPANY_Y, DAY, "5065427c-23d3-47ca-b6e0-946ea0e8c4be",
                List.of(new PolicyResults(COMPANY_Y, DAY, sts, 5326, 303, details)));
    }

    static JsonNode written(TlsReport report) throws IOException {
        byte[] json = ReportJson.write(report);
        // RPT-10: UTF-8 text
        assertThat(StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(json)).toString()).isNotEmpty();
        return STRICT.readTree(json);
    }

    /**
     * RFC 8460 Appendix B, with the three edits the checklist (§11.2) names: the
     * {@code additional-information} URI joined into one string, {@code mx-host} as an array
     * (RPT-20) and the IPv6 addresses in RFC 5952 form (RPT-25).
     */
    @Test
    void matchesTheAppendixBExample() throws IOException {
        JsonNode expected;
        try (InputStream in = getClass().getResourceAsStream("/tlsrpt/appendix-b.json")) {
            expected = STRICT.readTree(in);
        }
        assertThat(written(appendixB())).isEqualTo(expected);
    }

    /** RFC 8460 §4.4 schema: the members every report has, and their JSON types. */
    @ParameterizedTest(name = "{0} is {1}")
    @CsvSource({
        // RPT-12: top level
        "/organization-name, STRING",
        "/date-range/start-datetime, STRING",
        "/date-range/end-datetime, STRING",
        "/contact-info, STRING",
        "/report-id, STRING",
        // RPT-11: always an array
        "/policies, ARRAY",
        "/policies/0/policy/policy-type, STRING",
        "/policies/0/policy/policy-string, ARRAY",
        "/policies/0/policy/policy-domain, STRING",
        // RPT-20 decided: an array
        "/policies/0/policy/mx-host, ARRAY",
        // RPT-22: integers
        "/policies/0/summary/total-successful-session-count, NUMBER",
        "/policies/0/summary/total-failure-session-count, NUMBER",
        "/policies/0/failure-details, ARRAY",
        // RPT-24
        "/policies/0/failure-details/0/result-type, STRING",
        "/policies/0/failure-details/0/sending-mta-ip, STRING",
        "/policies/0/failure-details/0/receiving-mx-hostname, STRING",
        "/policies/0/failure-details/0/failed-session-count, NUMBER",
    })
    void requiredMembers(String pointer, String type) throws IOException {
        JsonNode node = written(appendixB()).at(pointer);
        assertThat(node.isMissingNode()).as(pointer).isFalse();
        assertThat(node.getNodeType().name()).isEqualTo(type);
        if (type.equals("NUMBER")) {
            assertThat(node.isIntegralNumber()).isTrue();
        }
    }

    // RPT-12, RPT-24: hyphenated lower-case names only, never camelCase or underscores
    @Test
    void everyMemberNameIsHyphenatedLowerCase() throws IOException {
        List<String> names = new ArrayList<>();
        collectNames(written(appendixB()), names);
        assertThat(names).isNotEmpty().allMatch(n -> n.matches("[a-z]+(-[a-z]+)*"));
        assertThat(names).doesNotContain("additional-info-uri");
    }

    // RPT-13, RPT-14: RFC 3339 UTC, the whole UTC day
    @Test
    void dateRangeIsTheWholeUtcDayInRfc3339() throws IOException {
        JsonNode range = written(appendixB()).get("date-range");
        assertThat(range.get("start-datetime").asText()).isEqualTo("2016-04-01T00:00:00Z");
        assertThat(range.get("end-datetime").asText()).isEqualTo("2016-04-01T23:59:59Z");
    }

    // issue 5: days with only successes are reported too; RPT-17/21: no-policy-found keeps policy-domain
    @Test
    void aDayWithOnlySuccessesAndNoPolicy() throws IOException {
        Domain d = Domain.parse("bücher.example");
        TlsReport r = new TlsReport(new Reporter("Relay", MailAddress.parse("tlsrpt@reports.relay.example", false)), d, DAY,
                "id-1", List.of(new PolicyResults(d, DAY, ReportedPolicy.NO_POLICY_FOUND, 7, 0, List.of())));
        JsonNode p = written(r).at("/policies/0");
        assertThat(p.at("/policy/policy-type").asText()).isEqualTo("no-policy-found");
        // RPT-19: A-labels
        assertThat(p.at("/policy/policy-domain").asText()).isEqualTo("xn--bcher-kva.example");
        assertThat(p.at("/policy/policy-string").isMissingNode()).isTrue();
        assertThat(p.at("/policy/mx-host").isMissingNode()).isTrue();
        assertThat(p.at("/summary/total-successful-session-count").asLong()).isEqualTo(7);
        assertThat(p.at("/summary/total-failure-session-count").asLong()).isZero();
        assertThat(p.get("failure-details").isArray()).isTrue();
        assertThat(p.get("failure-details")).isEmpty();
    }

    // RPT-24, RPT-27: a URI is additional-information, other text a failure-reason-code; absent is left out
    @ParameterizedTest(name = "{0}")
    @CsvSource(nullValues = "-", value = {
        "https://r.example/why?id=1, additional-information",
        "http://r.example/why,        additional-information",
        "X509_V_ERR_CERT_HAS_EXPIRED, failure-reason-code",
        "mx-not-in-sts-policy,        failure-reason-code",
        "urn:x:y,                     failure-reason-code",
        "-,                           -",
    })
    void additionalInformation(String text, String member) throws IOException {
        FailureDetail d = new FailureDetail(TlsResultType.VALIDATION_FAILURE, Optional.of("192.0.2.1"),
                Optional.of("mx.a.example"), Optional.empty(), Optional.empty(), Optional.ofNullable(text), 1);
        Domain a = Domain.parse("a.example");
        TlsReport r = new TlsReport(new Reporter("Relay", MailAddress.parse("tlsrpt@relay.example", false)), a, DAY, "id",
                List.of(new PolicyResults(a, DAY, ReportedPolicy.NO_POLICY_FOUND, 0, 1, List.of(d))));
        JsonNode detail = written(r).at("/policies/0/failure-details/0");
        List<String> names = new ArrayList<>();
        detail.fieldNames().forEachRemaining(names::add);
        assertThat(names).doesNotContain("receiving-mx-helo", "receiving-ip");
        if (member == null) {
            assertThat(names).doesNotContain("additional-information", "failure-reason-code");
        } else {
            assertThat(detail.get(member).asText()).isEqualTo(text);
            assertThat(names).containsOnlyOnce(member)
                    .doesNotContain(member.equals("failure-reason-code") ? "additional-information" : "failure-reason-code");
        }
    }

    // RPT-23: failure-details may overlap, so total-failure-session-count is written as counted,
    // never summed from the details
    @Test
    void theFailureTotalIsTheSessionCountNotTheSumOfTheDetails() throws IOException {
        Domain a = Domain.parse("a.example");
        FailureDetail expired = new FailureDetail(TlsResultType.CERTIFICATE_EXPIRED, Optional.of("192.0.2.1"),
                Optional.of("mx.a.example"), Optional.empty(), Optional.of("198.51.100.1"), Optional.empty(), 1);
        FailureDetail mismatch = new FailureDetail(TlsResultType.CERTIFICATE_HOST_MISMATCH, Optional.of("192.0.2.1"),
                Optional.of("mx.a.example"), Optional.empty(), Optional.of("198.51.100.1"), Optional.empty(), 1);
        TlsReport r = new TlsReport(new Reporter("Relay", MailAddress.parse("tlsrpt@relay.example", false)), a, DAY, "id",
                List.of(new PolicyResults(a, DAY, ReportedPolicy.NO_POLICY_FOUND, 0, 1, List.of(expired, mismatch))));
        JsonNode p = written(r).at("/policies/0");
        assertThat(p.at("/summary/total-failure-session-count").asLong()).isEqualTo(1);
        assertThat(p.get("failure-details")).hasSize(2);
    }

    // RPT-19: an IDN policy domain, its mx patterns and MX host names are written as A-labels
    @Test
    void idnNamesAreWrittenAsALabels() throws IOException {
        Domain d = Domain.parse("bücher.example");
        ReportedPolicy sts = new ReportedPolicy(ReportedPolicy.Type.STS,
                List.of("version: STSv1", "mode: testing", "mx: *.xn--bcher-kva.example", "max_age: 86400"),
                List.of("*.xn--bcher-kva.example"), "1");
        FailureDetail f = new FailureDetail(TlsResultType.CERTIFICATE_EXPIRED, Optional.of("192.0.2.1"),
                Optional.of("mx.xn--bcher-kva.example"), Optional.empty(), Optional.empty(), Optional.empty(), 1);
        TlsReport r = new TlsReport(new Reporter("Relay", MailAddress.parse("tlsrpt@relay.example", false)), d, DAY, "id",
                List.of(new PolicyResults(d, DAY, sts, 0, 1, List.of(f))));
        String json = new String(ReportJson.write(r), StandardCharsets.UTF_8);
        assertThat(json).doesNotContain("ü").contains("\"policy-domain\" : \"xn--bcher-kva.example\"");
        assertThat(written(r).at("/policies/0/policy/mx-host/0").asText()).isEqualTo("*.xn--bcher-kva.example");
    }

    private static void collectNames(JsonNode node, List<String> names) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String n = it.next();
            names.add(n);
            collectNames(node.get(n), names);
        }
        if (node.isArray()) {
            node.forEach(child -> collectNames(child, names));
        }
    }
}
