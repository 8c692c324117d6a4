package relay.sts.check;

import java.util.List;

/**
 * The result of a live MTA-STS check of one domain, in the order a sender works (RFC 8461 §3.1
 * TXT, §3.3 fetch, §3.2 parse, §4 MX matching and validation, §5 what the mode does). Absent
 * parts are null: no policy fields without a fetched policy, no MX hosts when DNS failed first.
 *
 * @param record the TXT discovery in words ({@code id=2026...}, or why there is none)
 * @param recordId the policy id of the one valid STS record, or null
 * @param policyError why the policy could not be fetched or parsed, or null
 * @param policyResultType the RFC 8460 result type of {@code policyError} ({@code sts-policy-fetch-error},
 *     {@code sts-policy-invalid}, {@code sts-webpki-invalid}), or null
 * @param policy the policy fetched and parsed, or null
 * @param mxError why the MX hosts could not be listed, or null
 * @param mx the MX hosts, best preference first, each probed
 * @param outcome what the check concludes
 * @param action what a sender would do, in one sentence
 */
public record CheckReport(String domain, String record, String recordId, String policyError, String policyResultType,
        PolicySummary policy, String mxError, List<MxCheck> mx, Outcome outcome, String action) {

    public CheckReport {
        mx = List.copyOf(mx);
    }

    /** The fields of a valid policy (RFC 8461 §3.2). */
    public record PolicySummary(String mode, long maxAge, boolean maxAgeClamped, List<String> mx) {
    }

    /** The conclusion, most serious last. */
    public enum Outcome {
        /** A policy in enforce or testing mode, and every MX is listed and passes STARTTLS and the certificate check. */
        VALID,
        /** No STS record (or an unusable one), or {@code mode: none}: opportunistic TLS (RFC 8461 §5). */
        NO_POLICY,
        /** A policy in enforce or testing mode, and some MX is unlisted or fails, or there is no MX at all. */
        MX_FAILS,
        /** An STS record, but the policy cannot be fetched or parsed (RFC 8461 §3.3). */
        POLICY_UNAVAILABLE,
        /** DNS did not answer the TXT or MX query (SERVFAIL, timeout). */
        DNS_FAILURE
    }
}
