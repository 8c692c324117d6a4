package relay.core.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import relay.core.mail.Envelope;
import relay.core.mail.QueueId;
import relay.core.spool.Spool;
import relay.core.spool.SpoolException;

/**
 * An in-memory {@link Spool} that keeps what it is given. Like a real spool it reads the whole
 * message before it stores anything, so a message whose stream fails is not kept. It can be
 * switched to fail every accept with a {@link SpoolException} (a full disk, say).
 */
public final class RecordingSpool implements Spool {

    /** One accepted message: what the listener handed over, byte for byte. */
    public record Stored(QueueId id, Envelope envelope, byte[] bytes) {

        /** The message as UTF-8 text (it is ASCII unless the test sent 8-bit data). */
        public String text() {
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    private final List<Stored> stored = new CopyOnWriteArrayList<>();
    private final AtomicInteger attempts = new AtomicInteger();
    private volatile boolean failing;

    @Override
    public void accept(QueueId id, Envelope envelope, InputStream message) throws IOException, SpoolException {
        attempts.incrementAndGet();
        byte[] bytes = message.readAllBytes();
        if (failing) {
            throw new SpoolException("disk full (test)", new IOException("No space left on device"));
        }
        stored.add(new Stored(id, envelope, bytes));
    }

    /** From now on every accept reads the message and then fails with a {@link SpoolException}. */
    public void failing(boolean fail) {
        this.failing = fail;
    }

    public List<Stored> stored() {
        return List.copyOf(stored);
    }

    /** The only stored message; fails the test if there is not exactly one. */
    public Stored single() {
        List<Stored> all = stored();
        if (all.size() != 1) {
            throw new AssertionError("expected exactly one stored message, found " + all.size());
        }
        return all.get(0);
    }

    /** How often {@link #accept} was called, whatever came of it. */
    public int attempts() {
        return attempts.get();
    }
}
