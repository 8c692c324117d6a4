package relay.app;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import relay.core.dns.Dns;
import relay.core.mail.Domain;
import relay.core.mail.MailAddress;
import relay.core.report.TlsReportRecorder;
import relay.core.spool.Spool;
import relay.core.tls.CertificateVerifier;
import relay.sts.report.Reporter;
import relay.sts.report.https.PostSettings;
import relay.sts.report.https.ReportPoster;
import relay.sts.report.mail.DkimKey;
import relay.sts.report.mail.ReportMessage;
import relay.sts.report.publish.ReportLedger;
import relay.sts.report.publish.ReportPublisher;
import relay.sts.report.publish.RetryPolicy;
import relay.sts.report.publish.SendWindow;
import relay.sts.report.record.TlsRptDiscovery;
import relay.sts.report.store.H2TlsReportRecorder;
import relay.sts.report.store.TlsReportStore;

/**
 * RFC 8460 as the relay runs it: every outbound session is counted (always; counting is cheap and
 * {@code relay tlsrpt preview} shows the result), and when {@code tlsrpt.enabled} is on the daily
 * reports go out through the relay's own queue and resolver. Owns the flush thread, the publish
 * thread and the HTTPS event loop.
 */
final class TlsRptWiring implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger("relay.tlsrpt");
    /** What a crash (not a clean stop) can lose of the day's counts. */
    static final Duration FLUSH_EVERY = Duration.ofSeconds(10);

    private final H2TlsReportRecorder recorder;
    private Optional<ReportPublisher> publisher = Optional.empty();
    private Optional<EventLoopGroup> group = Optional.empty();

    TlsRptWiring(DataSource dataSource) {
        this.recorder = new H2TlsReportRecorder(new TlsReportStore(dataSource), FLUSH_EVERY);
    }

    TlsReportRecorder recorder() {
        return recorder;
    }

    /** Starts the daily publisher when {@code tlsrpt.enabled}; the spool must accept mail already. */
    void startPublishing(RelayConfig.Tlsrpt config, DataSource dataSource, Dns dns, CertificateVerifier verifier,
            Spool spool, Clock clock, RandomGenerator random) {
        if (!config.enabled()) {
            LOG.info("tlsrpt.enabled is off: sessions are counted, but no TLS report is sent");
            return;
        }
        ReportPublisher p = publisher(config, dataSource, dns, verifier, spool, clock, random);
        p.start(config.checkInterval());
        publisher = Optional.of(p);
        LOG.info("tlsrpt reports for yesterday go out at a random time within {} minutes after 00:00 UTC, as {} <{}>",
                config.window().toMinutes(), config.organizationName(), config.contactInfo());
    }

    /** The publisher for the CLI and the daily run; {@link #close} stops its resources. */
    ReportPublisher publisher(RelayConfig.Tlsrpt config, DataSource dataSource, Dns dns, CertificateVerifier verifier,
            Spool spool, Clock clock, RandomGenerator random) {
        if (config.organizationName().isBlank() || config.contactInfo().isBlank() || config.dkim().keyFile().isBlank()) {
            throw new IllegalStateException("TLS reporting is not configured: set tlsrpt.organization-name,"
                    + " tlsrpt.contact-info and tlsrpt.dkim (domain, selector, key-file)");
        }
        EventLoopGroup g = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        group = Optional.of(g);
        ReportPoster poster = new ReportPoster(dns, verifier, g, new PostSettings(config.connectTimeout(),
                config.postTimeout(), true));
        DkimKey key = DkimKey.load(Domain.parse(config.dkim().domain()), config.dkim().selector(),
                Path.of(config.dkim().keyFile()));
        Reporter reporter = new Reporter(config.organizationName(), MailAddress.parse(config.contactInfo(), false));
        return new ReportPublisher(new TlsReportStore(dataSource), new ReportLedger(dataSource), new TlsRptDiscovery(dns),
                spool, poster, new ReportMessage(key, clock), reporter, new SendWindow(config.window(), random),
                RetryPolicy.RFC, clock, random, recorder::flush);
    }

    @Override
    public void close() {
        publisher.ifPresent(ReportPublisher::close);
        recorder.close();
        group.ifPresent(g -> g.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3000));
    }
}
