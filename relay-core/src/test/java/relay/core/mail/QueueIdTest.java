package relay.core.mail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class QueueIdTest {

    /** Nine base-32 digits of epoch milliseconds, then eight of the low 40 random bits. */
    @ParameterizedTest(name = "{0} + {1} -> {2}")
    @CsvSource(delimiter = '|', textBlock = """
            # the epoch and the smallest random part
            1970-01-01T00:00:00Z     | 0                  | 00000000000000000
            1970-01-01T00:00:00.001Z | 0                  | 00000000100000000
            1970-01-01T00:00:00.031Z | 31                 | 00000000V0000000V
            1970-01-01T00:00:00.032Z | 32                 | 00000001000000010
            # only the low 40 bits of the random long are used
            1970-01-01T00:00:00Z     | -1                 | 000000000VVVVVVVV
            2025-06-03T10:15:30Z     | 1099511627775      | 1ISQKJUEGVVVVVVVV
            2025-06-03T10:15:30Z     | 1099511627776      | 1ISQKJUEG00000000
            """)
    void formatsTimeAndRandomBitsInBase32(String instant, long random, String expected) {
        RandomGenerator fixed = () -> random;

        QueueId id = QueueId.generate(Instant.parse(instant), fixed);

        assertThat(id.value()).isEqualTo(expected).matches("[0-9A-V]{17}");
        assertThat(id).hasToString(expected);
        assertThat(new QueueId(id.value())).isEqualTo(id);
    }

    @Test
    void sortsByArrivalWhateverTheRandomPart() {
        Random random = new Random(7);
        List<QueueId> ids = new ArrayList<>();
        Instant t = Instant.parse("2001-09-09T01:46:40Z");
        for (int i = 0; i < 500; i++) {
            // a millisecond apart, random parts in any order
            ids.add(QueueId.generate(t.plusMillis(i), random));
        }
        assertThat(ids).isSorted().doesNotHaveDuplicates();
        assertThat(QueueId.generate(Instant.parse("2099-12-31T23:59:59Z"), () -> 0L))
                .isGreaterThan(QueueId.generate(Instant.parse("2025-06-03T10:15:30Z"), () -> -1L));
    }

    @Test
    void sameMillisecondDiffersByTheRandomPart() {
        Instant t = Instant.parse("2025-06-03T10:15:30Z");
        Random random = new Random(1);
        QueueId a = QueueId.generate(t, random);
        QueueId b = QueueId.generate(t, random);

        assertThat(a).isNotEqualTo(b);
        assertThat(a.value()).startsWith(b.value().substring(0, 9));
    }

    @ParameterizedTest(name = "[{index}] \"{0}\"")
    @NullAndEmptySource
    @ValueSource(strings = {
        "123456789",              // too short
        "123456789012345678901",  // too long
        "1isqkjueg00000000",      // lower case
        "1ISQKJUEG0000000W",      // W is not a base-32 digit here
        "1ISQKJUEG 0000000",
        "../../etc/passwd",
    })
    void rejectsWhatItNeverGenerates(String value) {
        assertThatIllegalArgumentException().isThrownBy(() -> new QueueId(value));
    }
}
