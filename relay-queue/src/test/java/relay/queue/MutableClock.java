package relay.queue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/** A clock that only moves when the test moves it, and counts how often it was read. */
final class MutableClock extends Clock {

    private final AtomicReference<Instant> now;
    private final AtomicLong reads = new AtomicLong();

    MutableClock(Instant start) {
        this.now = new AtomicReference<>(start);
    }

    @Override
    public Instant instant() {
        reads.incrementAndGet();
        return now.get();
    }

    /** The current time, without counting as a read. */
    Instant peek() {
        return now.get();
    }

    void advance(Duration d) {
        now.updateAndGet(t -> t.plus(d));
    }

    void set(Instant t) {
        now.set(t);
    }

    /** How many times the code under test asked for the time. */
    long reads() {
        return reads.get();
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        throw new UnsupportedOperationException("the relay works in UTC instants only");
    }
}
