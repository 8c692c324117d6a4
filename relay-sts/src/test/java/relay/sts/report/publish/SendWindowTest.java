package relay.sts.report.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SendWindowTest {

    static final LocalDate DAY = LocalDate.parse("2026-11-21");
    static final Instant MIDNIGHT = Instant.parse("2026-11-22T00:00:00Z");

    // RFC 8460 §4.1 (RPT-15): a random moment after the day ends, inside the window
    @ParameterizedTest(name = "window {0}")
    @CsvSource({"PT1S", "PT1M", "PT4H", "PT10H"})
    void theSendTimeFallsInsideTheWindow(Duration window) {
        for (long seed = 0; seed < 200; seed++) {
            Instant t = new SendWindow(window, new SplittableRandom(seed)).sendTime(DAY);
            assertThat(t).isAfterOrEqualTo(MIDNIGHT.plusSeconds(1)).isBeforeOrEqualTo(MIDNIGHT.plus(window));
        }
    }

    @Test
    void theSendTimeDiffersBetweenRuns() {
        Set<Instant> seen = new HashSet<>();
        for (int run = 0; run < 100; run++) {
            seen.add(new SendWindow(Duration.ofHours(4), new SplittableRandom()).sendTime(DAY));
        }
        assertThat(seen).hasSizeGreaterThan(50);
    }

    @Test
    void oneRunKeepsItsMomentForADay() {
        SendWindow w = new SendWindow(Duration.ofHours(4), new SplittableRandom());
        Instant first = w.sendTime(DAY);
        for (int i = 0; i < 20; i++) {
            assertThat(w.sendTime(DAY)).isEqualTo(first);
        }
        assertThat(w.sendTime(DAY.plusDays(1))).isAfter(MIDNIGHT.plus(Duration.ofDays(1)));
    }

    @Test
    void theWindowIsAtLeastASecond() {
        assertThatThrownBy(() -> new SendWindow(Duration.ofMillis(500), new SplittableRandom()))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
