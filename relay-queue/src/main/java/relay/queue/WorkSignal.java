package relay.queue;

import java.time.Duration;

/** Wakes the scheduler when new mail arrives, so a fresh message does not wait for the next poll. */
public final class WorkSignal {

    private boolean pending;

    public synchronized void wake() {
        pending = true;
        notifyAll();
    }

    /** Waits until woken or until {@code max} has passed. */
    synchronized void await(Duration max) throws InterruptedException {
        if (!pending) {
            wait(Math.max(1, max.toMillis()));
        }
        pending = false;
    }
}
