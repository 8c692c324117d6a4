package relay.app.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import relay.queue.QueueEvents;

/**
 * Recipients' outcomes ({@code relay_recipients_delivered_total}, {@code _deferred_total},
 * {@code _bounced_total}: one count per recipient and attempt) and the delivery latency, from
 * acceptance to delivery ({@code relay_delivery_latency_seconds}).
 */
final class QueueMeters implements QueueEvents {

    private final Counter delivered;
    private final Counter deferred;
    private final Counter bounced;
    private final Timer latency;

    QueueMeters(MeterRegistry registry) {
        this.delivered = Counter.builder("relay.recipients.delivered")
                .description("Recipients the next hop accepted").register(registry);
        this.deferred = Counter.builder("relay.recipients.deferred")
                .description("Delivery attempts that failed temporarily, per recipient").register(registry);
        this.bounced = Counter.builder("relay.recipients.bounced")
                .description("Recipients that failed for good (5xx or the queue lifetime)").register(registry);
        this.latency = Timer.builder("relay.delivery.latency")
                .description("Time from acceptance to delivery, per delivered recipient").register(registry);
    }

    @Override
    public void delivered(Duration sinceArrival) {
        delivered.increment();
        latency.record(sinceArrival.isNegative() ? Duration.ZERO : sinceArrival);
    }

    @Override
    public void deferred(Duration sinceArrival) {
        deferred.increment();
    }

    @Override
    public void bounced(Duration sinceArrival) {
        bounced.increment();
    }
}
