package relay.sts.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import relay.core.report.TlsResultType;

/**
 * RFC 8460 §6.6 (RPT-31): a report only ever names a registered result type. The RFC's registry
 * has exactly these eleven; the names other senders invented are not among them.
 */
class ResultTypeRegistryTest {

    @Test
    void everyFailureTypeIsOneOfTheElevenRegisteredValues() {
        assertThat(Arrays.stream(TlsResultType.values()).filter(t -> t != TlsResultType.SUCCESS).map(TlsResultType::token))
                .containsExactlyInAnyOrder("starttls-not-supported", "certificate-host-mismatch", "certificate-expired",
                        "tlsa-invalid", "dnssec-invalid", "dane-required", "certificate-not-trusted", "sts-policy-invalid",
                        "sts-webpki-invalid", "validation-failure", "sts-policy-fetch-error");
    }

    // seen in third-party code, not in the RFC 8460 registry
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"negotiation-failure", "certificate-name-mismatch", "tls-version-invalid", "success"})
    void unregisteredValuesAreNoFailureType(String token) {
        // "success" is a type of the recorder, never a failure-details entry
        assertThatThrownBy(() -> detail(TlsResultType.of(token))).isInstanceOf(IllegalArgumentException.class);
    }

    private static FailureDetail detail(TlsResultType type) {
        return new FailureDetail(type, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), 1);
    }
}
