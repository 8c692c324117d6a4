package relay.core.policy;

import relay.core.mail.Domain;

/**
 * Answers, for a recipient domain, which transport policy applies (MTA-STS today, DANE later;
 * none means opportunistic TLS). Implemented outside relay-core and wired in relay-app.
 */
public interface TlsPolicySource {

    TransportPolicy policyFor(Domain domain);

    /**
     * RFC 8461 §5.1: has the domain's policy changed? Asked, past any cache, before a message
     * deferred by a policy failure is failed permanently. A source without remote policies
     * never changes.
     */
    default PolicyRecheck recheck(Domain domain) {
        return new PolicyRecheck.Unchanged("no remote policy to re-check");
    }

    /** The source that knows no policies: opportunistic TLS everywhere. */
    static TlsPolicySource none() {
        return domain -> TransportPolicy.opportunistic();
    }
}
