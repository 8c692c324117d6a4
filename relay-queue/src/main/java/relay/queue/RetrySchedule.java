package relay.queue;

import java.time.Duration;
import java.time.Instant;
import java.util.random.RandomGenerator;

/**
 * When to try again after a temporary failure (RFC 5321 §4.5.4.1: the sender MUST delay retrying
 * a failed destination): exponential backoff from {@code first}, doubling per attempt, capped at
 * {@code max}, each delay spread by ±20% so that mail deferred together is not retried together.
 */
public final class RetrySchedule {

    static final double JITTER = 0.2;

    private final Duration first;
    private final Duration max;
    private final RandomGenerator random;

    public RetrySchedule(Duration first, Duration max, RandomGenerator random) {
        this.first = first;
        this.max = max;
        this.random = random;
    }

    /** The delay before the next attempt, after {@code failures} failed attempts (1 or more). */
    public Duration delayAfter(int failures) {
        long base = first.toMillis();
        for (int i = 1; i < failures && base < max.toMillis(); i++) {
            base *= 2;
        }
        base = Math.min(base, max.toMillis());
        double spread = 1 + JITTER * (2 * random.nextDouble() - 1);
        return Duration.ofMillis(Math.max(1, Math.round(base * spread)));
    }

    /** The next attempt, never later than the expiry, so the last try happens at the expiry. */
    public Instant next(int failures, Instant now, Instant expires) {
        Instant next = now.plus(delayAfter(failures));
        return next.isAfter(expires) ? expires : next;
    }
}
