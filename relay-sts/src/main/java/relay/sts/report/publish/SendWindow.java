package relay.sts.report.publish;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.random.RandomGenerator;

/**
 * When the report of a UTC day goes out: RFC 8460 §4.1 (RPT-15) suggests a random delay after
 * the day ends, so that receivers are not all hit at midnight. Each day gets one random moment
 * in {@code [00:00:01Z, 00:00:00Z + window]} of the following day, drawn once per run and then
 * kept, so that asking again does not move it.
 */
public final class SendWindow {

    private final Duration window;
    private final RandomGenerator random;
    private final Map<LocalDate, Instant> drawn = new ConcurrentHashMap<>();

    /** @param window how long after midnight UTC the reports may go out (at least a second) */
    public SendWindow(Duration window, RandomGenerator random) {
        if (window.getSeconds() < 1) {
            throw new IllegalArgumentException("the send window must be at least one second, not " + window);
        }
        this.window = window;
        this.random = random;
    }

    /** The moment the report of {@code day} is due. */
    public Instant sendTime(LocalDate day) {
        return drawn.computeIfAbsent(day, d -> d.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant()
                .plusSeconds(1 + random.nextLong(window.getSeconds())));
    }
}
