package relay.sts.policy;

import java.time.Duration;

/**
 * RFC 8461 §3.2 {@code max_age}: how long, in seconds from the last fetch, a policy may be
 * cached. The ABNF allows {@code 1*10DIGIT}; the prose gives a maximum of 31557600 (a year).
 *
 * <p>Decision (STS-33, erratum 7282): the RFC does not say what a larger value means. We
 * clamp: a policy declaring more is valid and cached for 31557600 seconds, {@link #declared()}
 * keeps what the policy said and {@link #clamped()} says so, for logs and the policy view.
 * Rejecting the policy instead (postfix-mta-sts-resolver, chasquid) would turn a publisher's
 * harmless overreach into no protection at all; postfix-tlspol and the Mimecast library clamp.
 *
 * <p>{@code max_age: 0} is valid (STS-32): the policy applies to the delivery at hand and is
 * not kept.
 *
 * @param seconds what the cache uses: the declared value, at most {@link #MAXIMUM}
 * @param declared the value the policy declared
 */
public record MaxAge(long seconds, long declared) {

    /** RFC 8461 §3.2: "maximum value of 31557600". */
    public static final long MAXIMUM = 31_557_600L;
    /** RFC 8461 §3.2 ABNF: the largest 10-digit value. */
    public static final long LARGEST_DECLARED = 9_999_999_999L;

    public MaxAge {
        if (declared < 0 || declared > LARGEST_DECLARED) {
            throw new IllegalArgumentException("max_age " + declared + " is not 0 to " + LARGEST_DECLARED);
        }
        if (seconds != Math.min(declared, MAXIMUM)) {
            throw new IllegalArgumentException("max_age " + declared + " is used as " + Math.min(declared, MAXIMUM)
                    + " seconds, not " + seconds);
        }
    }

    /** The max_age a policy declared, clamped to {@link #MAXIMUM}. */
    public static MaxAge of(long declared) {
        return new MaxAge(Math.min(declared, MAXIMUM), declared);
    }

    /** True when the policy declared more than {@link #MAXIMUM} and {@link #seconds()} is less. */
    public boolean clamped() {
        return declared > seconds;
    }

    public Duration duration() {
        return Duration.ofSeconds(seconds);
    }
}
