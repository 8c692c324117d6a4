package relay.sts.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.LocalDate;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import relay.core.mail.Domain;
import relay.core.mail.MailAddress;
import relay.core.policy.ReportedPolicy;

class TlsReportTest {

    static final Reporter REPORTER = new Reporter("Relay", MailAddress.parse("tlsrpt@relay.example", false));
    static final LocalDate DAY = LocalDate.parse("2026-11-21");

    // RFC 8460 §4.4 (RPT-16): report-ids are unique; one random generator gives no repeats
    @Test
    void reportIdsDoNotRepeat() {
        SplittableRandom random = new SplittableRandom(8460);
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            ids.add(TlsReport.newReportId(random));
        }
        assertThat(ids).hasSize(10_000).allMatch(id -> id.matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"));
    }

    // RFC 8460 §4.1 (RPT-14): one UTC day, 00:00:00Z to 23:59:59Z (decided, as in Appendix B)
    @Test
    void aReportCoversOneUtcDayEndingAtItsLastSecond() {
        Domain d = Domain.parse("example.com");
        TlsReport r = new TlsReport(REPORTER, d, DAY, "id",
                List.of(new PolicyResults(d, DAY, ReportedPolicy.NO_POLICY_FOUND, 1, 0, List.of())));
        assertThat(r.start()).isEqualTo(Instant.parse("2026-11-21T00:00:00Z"));
        assertThat(r.end()).isEqualTo(Instant.parse("2026-11-21T23:59:59Z"));
    }
}
