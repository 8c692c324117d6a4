package relay.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LifetimeTextTest {

    @ParameterizedTest
    @CsvSource({"P5D, 5 days", "P1D, 1 day", "PT36H, 36 hours", "PT1H, 1 hour", "PT90M, 90 minutes",
        "PT1M, 1 minute", "PT20S, 1 minute"})
    void dsnStatesTheLifetimeInWords(String iso, String text) {
        assertThat(QueueStore.human(Duration.parse(iso))).isEqualTo(text);
    }
}
