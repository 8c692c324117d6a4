package relay.sts.source;

import relay.core.policy.TransportPolicy;

/**
 * What an RFC 8461 §5.1 re-check found (STS-61, STS-65): asked before a message deferred by a
 * policy failure is failed permanently.
 */
public sealed interface Recheck {

    /** For logs and DSNs. */
    String reason();

    /** The TXT id changed and a new policy was fetched: try the delivery again at once under it. */
    record Changed(TransportPolicy policy, String reason) implements Recheck {
    }

    /** DNS answered and there is no new policy: the normal RFC 5321 §4.5.4.1 rules apply. */
    record Unchanged(String reason) implements Recheck {
    }

    /** DNS did not answer, so nobody knows whether the policy changed: stay deferred. */
    record NotChecked(String reason) implements Recheck {
    }
}
