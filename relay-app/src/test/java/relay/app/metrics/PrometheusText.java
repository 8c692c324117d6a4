package relay.app.metrics;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The samples of a Prometheus text exposition, parsed: {@code name{labels} value} lines keyed by
 * their name and labels exactly as written, comments skipped. Enough to check counters in tests.
 */
public final class PrometheusText {

    private final Map<String, Double> samples = new LinkedHashMap<>();

    private PrometheusText() {
    }

    public static PrometheusText parse(String text) {
        PrometheusText p = new PrometheusText();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            if (space < 0) {
                throw new IllegalArgumentException("not a sample line: " + line);
            }
            p.samples.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
        }
        return p;
    }

    /** The value of {@code series}, such as {@code relay_messages_rejected_total{reason="mail-loop"}}. */
    public Optional<Double> value(String series) {
        return Optional.ofNullable(samples.get(series));
    }

    /** The value of {@code series}; an {@link AssertionError} naming what there is when absent. */
    public double get(String series) {
        return value(series).orElseThrow(() -> new AssertionError("no sample " + series + " among "
                + samples.keySet().stream().filter(k -> k.startsWith(series.split("[{_]")[0])).toList()));
    }

    /** Whether any sample's name starts with {@code prefix}. */
    public boolean has(String prefix) {
        return samples.keySet().stream().anyMatch(k -> k.startsWith(prefix));
    }
}
