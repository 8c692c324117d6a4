package relay.sts.report;

import java.time.LocalDate;
import java.util.List;
import java.util.Objects;
import relay.core.mail.Domain;
import relay.core.policy.ReportedPolicy;

/**
 * Everything counted for one policy of one policy domain on one UTC day: one element of the
 * RFC 8460 §4.4 {@code policies} array, before it is written as JSON.
 *
 * @param successes sessions that negotiated policy-compliant TLS ({@code total-successful-session-count})
 * @param failures sessions that did not ({@code total-failure-session-count}); RPT-23: not
 *     necessarily the sum of the details' counts
 */
public record PolicyResults(Domain policyDomain, LocalDate day, ReportedPolicy policy, long successes, long failures,
        List<FailureDetail> details) {

    public PolicyResults {
        Objects.requireNonNull(policyDomain, "policyDomain");
        Objects.requireNonNull(day, "day");
        Objects.requireNonNull(policy, "policy");
        details = List.copyOf(details);
    }
}
