package relay.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class RetryScheduleTest {

    private static final Duration FIRST = Duration.ofMinutes(5);
    private static final Duration MAX = Duration.ofHours(4);
    private static final Instant NOW = Instant.parse("2026-03-02T09:00:00Z");

    /** A generator whose every draw is {@code value}: 0.5 means no jitter at all. */
    private static RandomGenerator fixed(double value) {
        return new RandomGenerator() {
            @Override
            public long nextLong() {
                throw new UnsupportedOperationException("only nextDouble is expected");
            }

            @Override
            public double nextDouble() {
                return value;
            }
        };
    }

    @ParameterizedTest(name = "after {0} failure(s): {1} min")
    @CsvSource({
            // RFC 5321 §4.5.4.1: retry after a delay; ours starts at firstRetry and doubles
            "1, 5",
            "2, 10",
            "3, 20",
            "4, 40",
            "5, 80",
            "6, 160",
            // capped at maxRetry (4 h)
            "7, 240",
            "8, 240",
            "30, 240",
            // no overflow however long the mail has waited
            "100000, 240",
    })
    void delaysDoubleFromFirstRetryUpToTheCap(int failures, long minutes) {
        RetrySchedule schedule = new RetrySchedule(FIRST, MAX, fixed(0.5));

        assertThat(schedule.delayAfter(failures)).isEqualTo(Duration.ofMinutes(minutes));
    }

    @ParameterizedTest(name = "draw {0} spreads 10 min to {1} ms")
    @CsvSource({
            // the extremes of the ±20% spread
            "0.0, 480000",
            "0.5, 600000",
            "0.25, 540000",
            "0.75, 660000",
            "0.9999, 719976",
    })
    void jitterMapsTheDrawOntoPlusMinusTwentyPercent(double draw, long millis) {
        RetrySchedule schedule = new RetrySchedule(FIRST, MAX, fixed(draw));

        assertThat(schedule.delayAfter(2).toMillis()).isEqualTo(millis);
    }

    @ParameterizedTest(name = "after {0} failure(s)")
    @ValueSource(ints = {1, 2, 3, 5, 6, 7, 12})
    void jitterStaysWithinTwentyPercentAndVaries(int failures) {
        RetrySchedule schedule = new RetrySchedule(FIRST, MAX, new Random(42L + failures));
        long base = Math.min(FIRST.toMillis() << Math.min(failures - 1, 20), MAX.toMillis());
        Set<Long> seen = new HashSet<>();
        long min = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        for (int i = 0; i < 2000; i++) {
            long d = schedule.delayAfter(failures).toMillis();
            assertThat(d).isBetween((long) Math.floor(base * 0.8), (long) Math.ceil(base * 1.2));
            seen.add(d);
            min = Math.min(min, d);
            max = Math.max(max, d);
        }
        // not constant, and really spread over the whole band rather than a sliver of it
        assertThat(seen).hasSizeGreaterThan(1000);
        assertThat(min).isLessThan((long) (base * 0.85));
        assertThat(max).isGreaterThan((long) (base * 1.15));
    }

    @ParameterizedTest(name = "{0} failure(s), expiry in {1} min: next in {2} min")
    @CsvSource({
            // well before the expiry: the plain delay
            "1, 600, 5",
            "3, 600, 20",
            // the delay would overshoot: the last attempt happens at the expiry itself
            "3, 19, 19",
            "7, 60, 60",
            "1, 1, 1",
            // exactly at the expiry
            "2, 10, 10",
    })
    void nextIsTheDelayButNeverAfterTheExpiry(int failures, long expiresInMinutes, long nextInMinutes) {
        RetrySchedule schedule = new RetrySchedule(FIRST, MAX, fixed(0.5));
        Instant expires = NOW.plus(Duration.ofMinutes(expiresInMinutes));

        assertThat(schedule.next(failures, NOW, expires)).isEqualTo(NOW.plus(Duration.ofMinutes(nextInMinutes)));
    }

    @Test
    void nextIsNeverAfterTheExpiryWhateverTheDraw() {
        Random seeds = new Random(1234);
        RetrySchedule schedule = new RetrySchedule(FIRST, MAX, new Random(99));
        for (int i = 0; i < 5000; i++) {
            int failures = 1 + seeds.nextInt(12);
            Instant expires = NOW.plusSeconds(1 + seeds.nextInt(6 * 3600));
            Instant next = schedule.next(failures, NOW, expires);

            assertThat(next).isAfter(NOW).isBeforeOrEqualTo(expires);
        }
    }
}
