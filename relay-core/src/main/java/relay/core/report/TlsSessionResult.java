package relay.core.report;

import java.time.Instant;
import java.util.Optional;
import relay.core.mail.Domain;
import relay.core.policy.ReportedPolicy;

/**
 * One outbound session (or one policy fetch) as RFC 8460 counts it: the policy in force, and
 * success or the failure with the §4.4 failure-details fields known for it.
 *
 * @param policyDomain the recipient domain the policy belongs to (RFC 8460 {@code policy-domain})
 * @param policy the policy the session ran under ({@code no-policy-found} when there was none)
 * @param result success or the failure type
 * @param sendingMtaIp our source address, when a connection was made
 * @param receivingMxHostname the MX host name, when the failure concerns one
 * @param receivingMxHelo the name in the MX's greeting, when it sent one
 * @param receivingIp the MX address, when a connection was made
 * @param additionalInformation free text for {@code additional-information}/{@code failure-reason-code}
 * @param at when the session ended (the report's UTC day is taken from it)
 */
public record TlsSessionResult(Domain policyDomain, ReportedPolicy policy, TlsResultType result, Optional<String> sendingMtaIp,
        Optional<String> receivingMxHostname, Optional<String> receivingMxHelo, Optional<String> receivingIp,
        Optional<String> additionalInformation, Instant at) {

    public boolean success() {
        return result == TlsResultType.SUCCESS;
    }
}
