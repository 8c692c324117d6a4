package relay.core.policy;

import relay.core.mail.Domain;

/**
 * Answers, for a recipient domain, which transport policy applies (MTA-STS today, DANE later;
 * none means opportunistic TLS). Implemented outside relay-core and wired in relay-app.
 */
public interface TlsPolicySource {

    TransportPolicy policyFor(Domain domain);

    /** The source that knows no policies: opportunistic TLS everywhere. */
    static TlsPolicySource none() {
        return domain -> TransportPolicy.opportunistic();
    }
}
