package relay.queue;

import java.time.Duration;

/**
 * Wakes the scheduler. {@link #wake} says that mail may have become due in the spool (a message
 * queued without a hand-off, an operator's retry), so the scheduler polls the queue at once;
 * {@link #nudge} only says that a worker or a handed-off message is ready, which needs no poll.
 */
public final class WorkSignal {

    private boolean pending;
    private boolean poll;

    /** Mail may be due in the spool: the scheduler polls now rather than at its next interval. */
    public synchronized void wake() {
        pending = true;
        poll = true;
        notifyAll();
    }

    /** Something changed in memory (a worker freed, a message handed off): look again, no poll. */
    synchronized void nudge() {
        pending = true;
        notifyAll();
    }

    /**
     * Waits until woken or nudged, or until {@code max} has passed.
     *
     * @return whether a {@link #wake} asked for a poll since the last call
     */
    synchronized boolean await(Duration max) throws InterruptedException {
        if (!pending) {
            wait(Math.max(1, max.toMillis()));
        }
        boolean wanted = poll;
        pending = false;
        poll = false;
        return wanted;
    }
}
