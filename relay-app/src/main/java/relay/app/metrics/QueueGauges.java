package relay.app.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.TimeGauge;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import relay.queue.QueueStore;

/**
 * {@code relay_queue_messages} and {@code relay_queue_oldest_age_seconds}, read from the spool
 * when scraped. One query serves both gauges of a scrape; a database that does not answer
 * reads as NaN (the readiness check says why).
 */
final class QueueGauges {

    /** A snapshot younger than this is reused: both gauges of one scrape see the same query. */
    private static final Duration FRESH = Duration.ofSeconds(1);

    private final QueueStore store;
    private final Clock clock;
    private Instant readAt = Instant.MIN;
    private QueueStore.QueueDepth depth;

    private QueueGauges(QueueStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    static void bind(MeterRegistry registry, QueueStore store, Clock clock) {
        QueueGauges g = new QueueGauges(store, clock);
        Gauge.builder("relay.queue.messages", g, QueueGauges::messages)
                .description("Messages in the queue").register(registry);
        TimeGauge.builder("relay.queue.oldest.age", g, TimeUnit.SECONDS, QueueGauges::oldestAgeSeconds)
                .description("Age of the oldest message in the queue (0 when empty)").register(registry);
    }

    private synchronized QueueStore.QueueDepth read() {
        Instant now = clock.instant();
        if (depth == null || Duration.between(readAt, now).compareTo(FRESH) >= 0 || now.isBefore(readAt)) {
            try {
                depth = store.depth();
                readAt = now;
            } catch (SQLException | RuntimeException e) {
                depth = null;
            }
        }
        return depth;
    }

    private double messages() {
        QueueStore.QueueDepth d = read();
        return d == null ? Double.NaN : d.messages();
    }

    private double oldestAgeSeconds() {
        QueueStore.QueueDepth d = read();
        return d == null ? Double.NaN : d.oldestAge(clock.instant()).toMillis() / 1000.0;
    }
}
