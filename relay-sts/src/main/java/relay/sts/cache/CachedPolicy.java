package relay.sts.cache;

import java.time.Instant;
import java.util.Objects;
import relay.core.mail.Domain;
import relay.sts.policy.Policy;

/**
 * A policy as the cache holds it.
 *
 * @param domain the policy domain
 * @param policyId the {@code _mta-sts} TXT id the policy was fetched for (RFC 8461 §3.1)
 * @param policy the policy, parsed again from its lines when loaded
 * @param fetchedAt when it was fetched
 * @param expiresAt {@code fetchedAt} + {@code max_age}, clamped (RFC 8461 §3.2, STS-34)
 * @param lastUsedAt when a delivery last asked for it (proactive refresh, STS-25)
 */
public record CachedPolicy(Domain domain, String policyId, Policy policy, Instant fetchedAt, Instant expiresAt,
        Instant lastUsedAt) {

    public CachedPolicy {
        Objects.requireNonNull(domain, "domain");
        Objects.requireNonNull(policyId, "policyId");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(fetchedAt, "fetchedAt");
        Objects.requireNonNull(expiresAt, "expiresAt");
        Objects.requireNonNull(lastUsedAt, "lastUsedAt");
    }

    /** RFC 8461 §3.2 (STS-34): valid up to {@code max_age} after the last fetch, not at or after. */
    public boolean validAt(Instant now) {
        return now.isBefore(expiresAt);
    }
}
