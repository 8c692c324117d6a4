package relay.app.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.TimeGauge;
import java.sql.SQLException;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import relay.queue.QueueStore;

/**
 * {@code relay_queue_messages} and {@code relay_queue_oldest_age_seconds}, read from the spool
 * when scraped (one indexed query each). A database that does not answer reads as NaN; the
 * readiness check says why. The gauges hold this object strongly: Micrometer's default weak
 * reference lets it be collected, and the gauges then read NaN.
 */
final class QueueGauges {

    private final QueueStore store;
    private final Clock clock;

    private QueueGauges(QueueStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    static void bind(MeterRegistry registry, QueueStore store, Clock clock) {
        QueueGauges g = new QueueGauges(store, clock);
        Gauge.builder("relay.queue.messages", g, QueueGauges::messages)
                .description("Messages in the queue").strongReference(true).register(registry);
        TimeGauge.builder("relay.queue.oldest.age", g, TimeUnit.SECONDS, QueueGauges::oldestAgeSeconds)
                .description("Age of the oldest message in the queue (0 when empty)").strongReference(true)
                .register(registry);
    }

    private double messages() {
        try {
            return store.depth().messages();
        } catch (SQLException | RuntimeException e) {
            return Double.NaN;
        }
    }

    private double oldestAgeSeconds() {
        try {
            return store.depth().oldestAge(clock.instant()).toMillis() / 1000.0;
        } catch (SQLException | RuntimeException e) {
            return Double.NaN;
        }
    }
}
