package relay.core.policy;

/**
 * What an RFC 8461 §5.1 re-check found (STS-61, STS-65): asked before a message deferred by a
 * policy failure is failed permanently.
 */
public sealed interface PolicyRecheck {

    /** For logs and DSNs. */
    String reason();

    /** The policy changed: try the delivery again at once under the new one. */
    record Changed(TransportPolicy policy, String reason) implements PolicyRecheck {
    }

    /** The source answered and there is no new policy: the normal RFC 5321 §4.5.4.1 rules apply. */
    record Unchanged(String reason) implements PolicyRecheck {
    }

    /** The source could not tell (DNS did not answer): the message must not be failed yet. */
    record NotChecked(String reason) implements PolicyRecheck {
    }
}
