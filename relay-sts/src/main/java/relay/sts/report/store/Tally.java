package relay.sts.report.store;

import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import relay.core.mail.Domain;
import relay.core.policy.ReportedPolicy;
import relay.core.report.TlsSessionResult;
import relay.sts.report.FailureDetail;
import relay.sts.report.IpText;

/**
 * Session results counted in memory until they are written to H2: one counter pair per
 * (policy domain, UTC day, policy) and one counter per distinct failure detail under it. Not
 * thread-safe; {@link H2TlsReportRecorder} guards it.
 */
final class Tally {

    /** A row of {@code tlsrpt_policy}. */
    record PolicySlot(Domain domain, LocalDate day, ReportedPolicy policy) {
    }

    /** A row of {@code tlsrpt_failure}; the detail's count is always 0 here (it is the key). */
    record DetailSlot(PolicySlot policy, FailureDetail detail) {
    }

    /** Successes and failures of one policy slot. */
    static final class Counts {
        long successes;
        long failures;
    }

    private final Map<PolicySlot, Counts> policies = new LinkedHashMap<>();
    private final Map<DetailSlot, Long> details = new LinkedHashMap<>();
    private long sessions;

    /** RFC 8460 §4.1 (RPT-14): the session counts on the UTC day it ended on. */
    void add(TlsSessionResult r) {
        PolicySlot slot = new PolicySlot(r.policyDomain(), LocalDate.ofInstant(r.at(), ZoneOffset.UTC), r.policy());
        Counts c = policies.computeIfAbsent(slot, s -> new Counts());
        sessions++;
        if (r.success()) {
            c.successes++;
            return;
        }
        c.failures++;
        FailureDetail d = new FailureDetail(r.result(), IpText.canonical(r.sendingMtaIp()), r.receivingMxHostname(),
                r.receivingMxHelo(), IpText.canonical(r.receivingIp()), r.additionalInformation(), 0);
        details.merge(new DetailSlot(slot, d), 1L, Long::sum);
    }

    /** Adds another tally's counts to this one (a batch that could not be written goes back). */
    void addAll(Tally other) {
        other.policies.forEach((slot, c) -> {
            Counts mine = policies.computeIfAbsent(slot, s -> new Counts());
            mine.successes += c.successes;
            mine.failures += c.failures;
        });
        other.details.forEach((slot, n) -> details.merge(slot, n, Long::sum));
        sessions += other.sessions;
    }

    boolean isEmpty() {
        return sessions == 0;
    }

    /** Sessions counted, for logs. */
    long sessions() {
        return sessions;
    }

    Map<PolicySlot, Counts> policies() {
        return policies;
    }

    Map<DetailSlot, Long> details() {
        return details;
    }
}
