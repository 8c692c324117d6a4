package relay.app.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Map;
import relay.core.smtp.ListenerEvents;

/**
 * {@code relay_messages_accepted_total}, {@code relay_messages_accepted_bytes} and
 * {@code relay_messages_rejected_total{reason}}. Every reason is registered at start, so a
 * refusal that never happened reads 0 rather than being absent.
 */
final class ListenerMeters implements ListenerEvents {

    private final Counter accepted;
    private final DistributionSummary size;
    private final Map<Rejection, Counter> rejected = new EnumMap<>(Rejection.class);

    ListenerMeters(MeterRegistry registry) {
        this.accepted = Counter.builder("relay.messages.accepted")
                .description("Messages stored and acknowledged with 250").register(registry);
        this.size = DistributionSummary.builder("relay.messages.accepted.size").baseUnit("bytes")
                .description("Octets of accepted messages as received").register(registry);
        for (Rejection r : Rejection.values()) {
            rejected.put(r, Counter.builder("relay.messages.rejected").tag("reason", r.token())
                    .description("Commands, messages and connections the listener refused").register(registry));
        }
    }

    @Override
    public void accepted(int recipients, long octets) {
        accepted.increment();
        size.record(octets);
    }

    @Override
    public void rejected(Rejection reason) {
        rejected.get(reason).increment();
    }
}
