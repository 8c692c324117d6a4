package relay.app.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import relay.core.mail.Domain;
import relay.sts.source.StsEvents;

/** MTA-STS policy lookups by how they were answered, and policy fetches by outcome. */
final class StsMeters implements StsEvents {

    private final MeterRegistry registry;
    private final Map<String, Counter> lookups = new ConcurrentHashMap<>();
    private final Map<String, Counter> fetches = new ConcurrentHashMap<>();

    StsMeters(MeterRegistry registry) {
        this.registry = registry;
        for (Lookup how : Lookup.values()) {
            counter(lookups, "relay.mta_sts.lookups", "result", token(how));
        }
        counter(fetches, "relay.mta_sts.fetches", "outcome", "ok");
    }

    @Override
    public void lookup(Domain domain, Lookup how) {
        counter(lookups, "relay.mta_sts.lookups", "result", token(how)).increment();
    }

    @Override
    public void fetch(Domain domain, String outcome) {
        counter(fetches, "relay.mta_sts.fetches", "outcome", outcome).increment();
    }

    private static String token(Lookup how) {
        return how.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    private Counter counter(Map<String, Counter> cache, String name, String tag, String value) {
        return cache.computeIfAbsent(value, v -> Counter.builder(name).tag(tag, v).register(registry));
    }
}
