package relay.sts.report.publish;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RetryPolicyTest {

    static final Instant T0 = Instant.parse("2026-11-22T02:00:00Z");

    /** RFC 8460 §5.5 (RPT-48): exponential back-off, capped, for 24 h after the first attempt. */
    @ParameterizedTest(name = "failure {1} at +{0} -> {2}")
    @CsvSource(nullValues = "-", value = {
        "PT0S,     1,  PT5M",
        "PT5M,     2,  PT10M",
        "PT15M,    3,  PT20M",
        "PT35M,    4,  PT40M",
        "PT2H,     6,  PT2H40M",
        "PT5H,     7,  PT4H",
        "PT10H,    30, PT4H",
        // nothing after 24 h
        "PT20H,    9,  PT4H",
        "PT20H1S,  9,  -",
        "PT23H58M, 12, -",
    })
    void nextAttempt(Duration sinceFirst, int failures, Duration wait) {
        Instant now = T0.plus(sinceFirst);
        Optional<Instant> next = RetryPolicy.RFC.next(T0, now, failures);
        assertThat(next).isEqualTo(Optional.ofNullable(wait).map(now::plus));
    }
}
