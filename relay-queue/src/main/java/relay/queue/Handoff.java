package relay.queue;

import java.util.List;
import java.util.Optional;
import java.util.function.IntConsumer;
import java.util.function.IntPredicate;
import java.util.function.ObjIntConsumer;

/**
 * Fresh mail handed from the spool straight to the scheduler, the way Postfix's queue manager
 * moves a new message into its active queue without scanning the incoming queue again. The spool
 * reserves a slot before it stores a message; with a slot it stores the recipients already
 * leased to the scheduler and, once the message is durable, hands over the attempts with the
 * message still in memory. The scheduler then neither claims, nor loads, nor reads the body back.
 * Without a slot (the scheduler is busy or stopped) the message waits in the spool for a poll.
 */
@FunctionalInterface
public interface Handoff {

    /** A slot for one message, or empty when the scheduler holds as many as it takes. */
    Optional<Slot> reserve();

    /** No hand-off: every message waits for the scheduler's poll (delivery off, tools). */
    static Handoff none() {
        return Optional::empty;
    }

    /**
     * One reserved place in the scheduler. Exactly one of {@link #submit} and {@link #cancel}
     * must be called.
     */
    final class Slot {

        private final String owner;
        private final IntPredicate keep;
        private final ObjIntConsumer<List<FreshAttempt>> submit;
        private final IntConsumer release;
        private int kept;
        private boolean used;

        /**
         * @param keep asks for room to keep this many more octets of message in memory
         * @param submit takes the attempts and the octets kept for them
         * @param release gives the slot and its kept octets back
         */
        Slot(String owner, IntPredicate keep, ObjIntConsumer<List<FreshAttempt>> submit, IntConsumer release) {
            this.owner = owner;
            this.keep = keep;
            this.submit = submit;
            this.release = release;
        }

        /** The lease owner the recipients must be stored under. */
        String owner() {
            return owner;
        }

        /** Whether the scheduler has room to keep a message of {@code octets} in memory. */
        boolean keep(int octets) {
            if (keep.test(octets)) {
                kept += octets;
                return true;
            }
            return false;
        }

        /** Hands over the message's attempts, one per recipient domain. */
        void submit(List<FreshAttempt> attempts) {
            use();
            submit.accept(attempts, kept);
        }

        /** Gives the slot back: nothing was stored. */
        void cancel() {
            use();
            release.accept(kept);
        }

        private void use() {
            if (used) {
                throw new IllegalStateException("a hand-off slot is used once");
            }
            used = true;
        }
    }
}
