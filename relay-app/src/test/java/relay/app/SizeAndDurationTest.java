package relay.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SizeAndDurationTest {

    @ParameterizedTest
    @CsvSource({"1048576, 1048576", "512KiB, 524288", "25MiB, 26214400", "1GiB, 1073741824", "10MB, 10000000",
        "10 mib, 10485760", "7B, 7"})
    void sizes(String text, long octets) {
        assertThat(Size.parse(text).octets()).isEqualTo(octets);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "MiB", "-1", "1.5MiB", "10TiB", "ten"})
    void badSizes(String text) {
        assertThatThrownBy(() -> Size.parse(text)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a size");
    }

    @ParameterizedTest
    @CsvSource({"250ms, PT0.25S", "30s, PT30S", "5m, PT5M", "2h, PT2H", "5d, PT120H", "PT5M, PT5M", "pt1h, PT1H"})
    void durations(String text, String iso) {
        assertThat(Durations.parse(text)).isEqualTo(Duration.parse(iso));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "5", "5 minutes", "1w", "m5"})
    void badDurations(String text) {
        assertThatThrownBy(() -> Durations.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a duration");
    }
}
