package relay.app.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import relay.core.mail.Domain;
import relay.core.policy.ReportedPolicy;
import relay.core.report.TlsResultType;
import relay.core.report.TlsSessionResult;
import relay.core.smtp.ListenerEvents;

/** The events relay-core and relay-queue report, as they come out of the Prometheus page. */
class RelayMetricsTest {

    private final RelayMetrics metrics = new RelayMetrics();

    @AfterEach
    void close() {
        metrics.close();
    }

    private PrometheusText scrape() {
        return PrometheusText.parse(metrics.scrape());
    }

    @Test
    void countsAcceptedMessagesAndTheirSize() {
        metrics.listenerEvents().accepted(2, 1000);
        metrics.listenerEvents().accepted(1, 500);

        PrometheusText p = scrape();
        assertThat(p.get("relay_messages_accepted_total")).isEqualTo(2.0);
        assertThat(p.get("relay_messages_accepted_size_bytes_sum")).isEqualTo(1500.0);
    }

    @ParameterizedTest
    @EnumSource(ListenerEvents.Rejection.class)
    void countsEachRejectionUnderItsReasonAndNoOther(ListenerEvents.Rejection reason) {
        metrics.listenerEvents().rejected(reason);

        PrometheusText p = scrape();
        for (ListenerEvents.Rejection r : ListenerEvents.Rejection.values()) {
            assertThat(p.get("relay_messages_rejected_total{reason=\"" + r.token() + "\"}"))
                    .as(r.token()).isEqualTo(r == reason ? 1.0 : 0.0);
        }
    }

    @Test
    void countsRecipientOutcomesAndTimesOnlyDeliveries() {
        metrics.queueEvents().delivered(Duration.ofSeconds(3));
        metrics.queueEvents().delivered(Duration.ofSeconds(5));
        metrics.queueEvents().deferred(Duration.ofSeconds(7));
        metrics.queueEvents().bounced(Duration.ofSeconds(11));

        PrometheusText p = scrape();
        assertThat(p.get("relay_recipients_delivered_total")).isEqualTo(2.0);
        assertThat(p.get("relay_recipients_deferred_total")).isEqualTo(1.0);
        assertThat(p.get("relay_recipients_bounced_total")).isEqualTo(1.0);
        assertThat(p.get("relay_delivery_latency_seconds_count")).isEqualTo(2.0);
        assertThat(p.get("relay_delivery_latency_seconds_sum")).isEqualTo(8.0);
        assertThat(p.get("relay_delivery_latency_seconds_max")).isEqualTo(5.0);
    }

    @Test
    void countsTlsSessionsByResultTypeAndHandsEachOn() {
        List<TlsSessionResult> handedOn = new ArrayList<>();
        var recorder = metrics.tlsSessions(handedOn::add);
        TlsSessionResult ok = session(TlsResultType.SUCCESS);
        TlsSessionResult mismatch = session(TlsResultType.CERTIFICATE_HOST_MISMATCH);

        recorder.record(ok);
        recorder.record(mismatch);
        recorder.record(mismatch);

        PrometheusText p = scrape();
        assertThat(p.get("relay_tls_sessions_total{result=\"success\"}")).isEqualTo(1.0);
        assertThat(p.get("relay_tls_sessions_total{result=\"certificate-host-mismatch\"}")).isEqualTo(2.0);
        assertThat(p.get("relay_tls_sessions_total{result=\"starttls-not-supported\"}")).isZero();
        assertThat(handedOn).containsExactly(ok, mismatch, mismatch);
    }

    @Test
    void includesJvmMeters() {
        PrometheusText p = scrape();
        assertThat(p.has("jvm_memory_used_bytes")).isTrue();
        assertThat(p.has("jvm_threads_live_threads")).isTrue();
        assertThat(p.has("system_cpu_count")).isTrue();
    }

    private static TlsSessionResult session(TlsResultType type) {
        return new TlsSessionResult(new Domain("example.test"), ReportedPolicy.NO_POLICY_FOUND, type,
                Optional.empty(), Optional.of("mx1.example.test"), Optional.empty(), Optional.empty(),
                Optional.empty(), Instant.parse("2026-01-01T00:00:00Z"));
    }
}
