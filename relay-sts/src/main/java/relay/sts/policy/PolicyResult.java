package relay.sts.policy;

/** What {@link PolicyParser} made of a policy body: a policy, or where and why it is not one. */
public sealed interface PolicyResult {

    /** A valid policy. */
    record Parsed(Policy policy) implements PolicyResult {
    }

    /**
     * Not a valid policy (RFC 8460 result type {@code sts-policy-invalid}).
     *
     * @param line the 1-based line at fault, or 0 when the policy as a whole is (a required
     *     field missing, an empty body)
     * @param reason what is wrong, naming the field and value at fault
     */
    record Rejected(int line, String reason) implements PolicyResult {

        /** For logs: {@code line 3: mode 'Enforce' is not ...}. */
        public String describe() {
            return (line == 0 ? "policy: " : "line " + line + ": ") + reason;
        }
    }
}
