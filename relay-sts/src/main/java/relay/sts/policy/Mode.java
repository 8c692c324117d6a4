package relay.sts.policy;

import java.util.Optional;

/** RFC 8461 §3.2 and §5: what a sending MTA does when the policy fails to validate. */
public enum Mode {
    /** RFC 8461 §5: never deliver to an MX that fails MX matching, STARTTLS or certificate checks. */
    ENFORCE("enforce"),
    /** RFC 8461 §5: deliver anyway, and report the failure (RFC 8460). */
    TESTING("testing"),
    /** RFC 8461 §5: treat the domain as having no active policy. */
    NONE("none");

    private final String token;

    Mode(String token) {
        this.token = token;
    }

    /** The value as written in a policy. */
    public String token() {
        return token;
    }

    /** RFC 8461 §3.2 sts-policy-mode-value: {@code %s"testing" / %s"enforce" / %s"none"}, case-sensitive. */
    public static Optional<Mode> ofToken(String value) {
        for (Mode mode : values()) {
            if (mode.token.equals(value)) {
                return Optional.of(mode);
            }
        }
        return Optional.empty();
    }
}
