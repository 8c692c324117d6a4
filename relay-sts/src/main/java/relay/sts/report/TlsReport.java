package relay.sts.report;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.random.RandomGenerator;
import relay.core.mail.Domain;

/**
 * One RFC 8460 §4 aggregate report: one policy domain, one UTC day, every policy seen for it.
 *
 * @param reportId RFC 8460 §4.4 {@code report-id}: unique per report, kept by retries (RPT-16)
 * @param policies never empty; RFC 8460 §4 (RPT-11) writes them as an array even when one
 */
public record TlsReport(Reporter reporter, Domain policyDomain, LocalDate day, String reportId, List<PolicyResults> policies) {

    public TlsReport {
        Objects.requireNonNull(reporter, "reporter");
        Objects.requireNonNull(policyDomain, "policyDomain");
        Objects.requireNonNull(day, "day");
        Objects.requireNonNull(reportId, "reportId");
        policies = List.copyOf(policies);
        if (policies.isEmpty()) {
            throw new IllegalArgumentException("a report needs at least one policy");
        }
        for (PolicyResults p : policies) {
            if (!p.policyDomain().equals(policyDomain) || !p.day().equals(day)) {
                throw new IllegalArgumentException("results of " + p.policyDomain() + " on " + p.day()
                        + " in the report of " + policyDomain + " on " + day);
            }
        }
    }

    /** A fresh {@code report-id}: a random UUID (RFC 8460 §4.4 allows any scheme). */
    public static String newReportId(RandomGenerator random) {
        return new UUID(random.nextLong(), random.nextLong()).toString();
    }

    /** RFC 8460 §4.1 (RPT-14): the day starts at 00:00:00Z. */
    public Instant start() {
        return day.atStartOfDay(ZoneOffset.UTC).toInstant();
    }

    /** RPT-14, decided as in the RFC's Appendix B: the day's last second, {@code 23:59:59Z}. */
    public Instant end() {
        return start().plus(Duration.ofDays(1)).minusSeconds(1);
    }

    /** Sessions counted in the report, for logs. */
    public long sessions() {
        return policies.stream().mapToLong(p -> p.successes() + p.failures()).sum();
    }
}
