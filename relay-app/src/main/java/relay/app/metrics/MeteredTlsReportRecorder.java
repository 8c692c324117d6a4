package relay.app.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Map;
import relay.core.report.TlsReportRecorder;
import relay.core.report.TlsResultType;
import relay.core.report.TlsSessionResult;

/**
 * Counts outbound TLS sessions by RFC 8460 result type ({@code relay_tls_sessions_total{result}},
 * {@code result="success"} or a failure token such as {@code certificate-host-mismatch}), then
 * hands the result on to the real recorder. Like every recorder it never throws into a delivery.
 */
public final class MeteredTlsReportRecorder implements TlsReportRecorder {

    private final Map<TlsResultType, Counter> sessions = new EnumMap<>(TlsResultType.class);
    private final TlsReportRecorder delegate;

    public MeteredTlsReportRecorder(MeterRegistry registry, TlsReportRecorder delegate) {
        this.delegate = delegate;
        for (TlsResultType t : TlsResultType.values()) {
            sessions.put(t, Counter.builder("relay.tls.sessions").tag("result", t.token())
                    .description("Outbound sessions (and policy fetch failures) by RFC 8460 result type")
                    .register(registry));
        }
    }

    @Override
    public void record(TlsSessionResult result) {
        sessions.get(result.result()).increment();
        delegate.record(result);
    }
}
