package relay.queue;

import java.time.Duration;

/**
 * What the queue tells an observer (metrics) about each recipient's attempt, after the
 * attempt's outcome is committed. Must be cheap and must never throw into the queue.
 */
public interface QueueEvents {

    /** A recipient was delivered, {@code sinceArrival} after its message was accepted. */
    void delivered(Duration sinceArrival);

    /** A recipient's attempt failed temporarily; it waits for the next retry. */
    void deferred(Duration sinceArrival);

    /** A recipient failed for good (a 5xx, or the queue lifetime ran out). */
    void bounced(Duration sinceArrival);

    /** Tells nobody: for tests and for a relay without metrics. */
    static QueueEvents none() {
        return new QueueEvents() {
            @Override
            public void delivered(Duration sinceArrival) {
            }

            @Override
            public void deferred(Duration sinceArrival) {
            }

            @Override
            public void bounced(Duration sinceArrival) {
            }
        };
    }
}
