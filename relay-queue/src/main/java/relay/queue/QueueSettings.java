package relay.queue;

import java.time.Duration;

/**
 * How the queue retries and gives up.
 *
 * @param lifetime how long a message may wait before it bounces (RFC 5321 §4.5.4.1: 4-5 days)
 * @param firstRetry delay after the first failure; doubles each time up to {@code maxRetry}
 * @param maxRetry the longest wait between two attempts
 * @param lease how long a claim stays valid; a worker that has not finished by then is presumed dead
 * @param workers deliveries in progress at once
 * @param reportingMta our host name, as it appears in DSNs ({@code Reporting-MTA: dns; ...})
 */
public record QueueSettings(Duration lifetime, Duration firstRetry, Duration maxRetry, Duration lease, int workers,
        String reportingMta) {

    public QueueSettings {
        if (lifetime.isNegative() || lifetime.isZero() || firstRetry.isNegative() || firstRetry.isZero()
                || maxRetry.compareTo(firstRetry) < 0 || lease.isNegative() || lease.isZero() || workers < 1) {
            throw new IllegalArgumentException("queue settings out of range");
        }
    }
}
