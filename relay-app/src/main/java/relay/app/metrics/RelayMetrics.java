package relay.app.metrics;

import com.zaxxer.hikari.metrics.MetricsTrackerFactory;
import com.zaxxer.hikari.metrics.micrometer.MicrometerMetricsTrackerFactory;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import relay.core.report.TlsReportRecorder;
import relay.core.smtp.ListenerEvents;
import relay.queue.QueueEvents;
import relay.queue.QueueStore;

/**
 * The relay's meters, in one Prometheus registry that {@code GET /metrics} scrapes: the
 * listener's and the queue's events, TLS sessions by RFC 8460 result type, queue depth and the
 * oldest message's age, delivery latency, the JVM and the H2 connection pool. relay-core and
 * relay-queue know nothing of Micrometer; they tell the observers made here.
 */
public final class RelayMetrics implements AutoCloseable {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final JvmGcMetrics gc = new JvmGcMetrics();
    private final ListenerMeters listener;
    private final QueueMeters queue;
    private final StsMeters sts;

    public RelayMetrics() {
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        this.listener = new ListenerMeters(registry);
        this.queue = new QueueMeters(registry);
        this.sts = new StsMeters(registry);
    }

    /** Counts MTA-STS policy lookups (cache hits) and fetches by outcome: to give to the policy source. */
    public relay.sts.source.StsEvents stsEvents() {
        return sts;
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** Everything, in the Prometheus text exposition format. */
    public String scrape() {
        return registry.scrape();
    }

    /** The Content-Type of {@link #scrape()}. */
    public static String contentType() {
        return "text/plain; version=0.0.4; charset=utf-8";
    }

    /** Counts accepted and refused mail: to give to the SMTP listener. */
    public ListenerEvents listenerEvents() {
        return listener;
    }

    /** Counts recipients' outcomes and times deliveries: to give to the queue store. */
    public QueueEvents queueEvents() {
        return queue;
    }

    /** Counts TLS sessions by result type and hands each on to {@code delegate}. */
    public TlsReportRecorder tlsSessions(TlsReportRecorder delegate) {
        return new MeteredTlsReportRecorder(registry, delegate);
    }

    /** HikariCP's own Micrometer tracker: connections active, idle, pending, timeouts, usage. */
    public MetricsTrackerFactory connectionPool() {
        return new MicrometerMetricsTrackerFactory(registry);
    }

    /** Queue depth and the oldest message's age, read from the spool at each scrape. */
    public void watchQueue(QueueStore store, Clock clock) {
        QueueGauges.bind(registry, store, clock);
    }

    @Override
    public void close() {
        gc.close();
        registry.close();
    }
}
