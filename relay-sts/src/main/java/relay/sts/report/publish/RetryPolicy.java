package relay.sts.report.publish;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * RFC 8460 §5.5 (RPT-48): after a failed send, retry with exponential back-off for up to a
 * period (24 h) after the first attempt, then give up.
 *
 * @param first the wait after the first failure, doubled after each further one
 * @param max the longest wait between two attempts
 * @param giveUpAfter how long after the first attempt no attempt is made any more
 * @param lease how long a worker holds a delivery it is trying (longer than one attempt takes)
 */
public record RetryPolicy(Duration first, Duration max, Duration giveUpAfter, Duration lease) {

    /** 5 minutes, doubling up to 4 hours, for 24 hours; attempts held for 10 minutes. */
    public static final RetryPolicy RFC = new RetryPolicy(Duration.ofMinutes(5), Duration.ofHours(4), Duration.ofHours(24),
            Duration.ofMinutes(10));

    /** When to try again after the {@code failures}-th failure, or empty to give up. */
    public Optional<Instant> next(Instant firstAttempt, Instant now, int failures) {
        Duration wait = first;
        for (int i = 1; i < failures && wait.compareTo(max) < 0; i++) {
            wait = wait.multipliedBy(2);
        }
        if (wait.compareTo(max) > 0) {
            wait = max;
        }
        Instant next = now.plus(wait);
        return next.isAfter(firstAttempt.plus(giveUpAfter)) ? Optional.empty() : Optional.of(next);
    }
}
