package relay.core.delivery;

import java.util.Optional;

/**
 * What became of one recipient in one attempt. Only the queue turns outcomes into state.
 *
 * <p>{@code status} is an RFC 3463 enhanced status code ({@code 4.4.1}, {@code 5.1.1}); {@code
 * remoteMta} names the host that answered, when one did (RFC 3464 §2.3.5: no Remote-MTA when no
 * remote MTA was involved); {@code diagnostic} is that host's reply, or our own reason.
 */
public sealed interface Outcome {

    String status();

    String diagnostic();

    Optional<String> remoteMta();

    /** The next hop took responsibility for the message (a 2xx at end of data). */
    record Delivered(String status, String diagnostic, Optional<String> remoteMta) implements Outcome {
    }

    /**
     * Not now: a 4xx, a network or DNS failure, a policy failure, anything unknown. Retried, and
     * bounced once the queue lifetime is over, unless {@code expiry} says the bounce must wait.
     */
    record Deferred(String status, String diagnostic, Optional<String> remoteMta, Expiry expiry) implements Outcome {

        public Deferred(String status, String diagnostic, Optional<String> remoteMta) {
            this(status, diagnostic, remoteMta, Expiry.BOUNCE_AT_LIFETIME);
        }
    }

    /** What a deferral past the queue lifetime becomes. */
    enum Expiry {
        /** RFC 5321 §4.5.4.1: give up and bounce. */
        BOUNCE_AT_LIFETIME,
        /**
         * RFC 8461 §5.1 (STS-61): a policy failure whose re-check for a new policy could not be
         * made (DNS did not answer); the message must not be failed permanently yet.
         */
        AWAIT_POLICY_CHECK
    }

    /** Never: a 5xx, a null MX, a nonexistent domain, or the queue lifetime. A DSN follows. */
    record Bounced(String status, String diagnostic, Optional<String> remoteMta) implements Outcome {
    }
}
