package relay.app;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.time.Clock;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import relay.core.dns.Dns;
import relay.core.dns.DnsSettings;
import relay.core.mail.Domain;
import relay.core.policy.PolicyOverrides;
import relay.core.policy.TlsPolicySource;
import relay.core.report.TlsReportRecorder;
import relay.core.tls.CertificateVerifier;
import relay.sts.cache.PolicyStore;
import relay.sts.fetch.FetchSettings;
import relay.sts.fetch.PolicyFetcher;
import relay.sts.record.StsDiscovery;
import relay.sts.source.RefreshReport;
import relay.sts.source.StsPolicySource;

/**
 * MTA-STS as the relay runs it: the policy source over the relay's own resolver, database and
 * certificate checks, the hourly look for policies to refresh, and the operator's overrides in
 * front. Owns the fetch event loop and the refresh thread.
 */
final class StsWiring implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger("relay.sts");

    private final TlsPolicySource source;
    private final PolicyStore store;
    private final EventLoopGroup group;
    private final ScheduledExecutorService refresher;

    private StsWiring(TlsPolicySource source, PolicyStore store, EventLoopGroup group, ScheduledExecutorService refresher) {
        this.source = source;
        this.store = store;
        this.group = group;
        this.refresher = refresher;
    }

    /**
     * @param dns the relay's resolver, which deliveries share (its cache spares a TXT query per message)
     * @param dnsSettings for the resolvers without a cache that the RFC 8461 §5.1 re-check uses
     */
    static StsWiring start(RelayConfig.MtaSts config, Dns dns, DnsSettings dnsSettings, CertificateVerifier verifier,
            DataSource dataSource, TlsReportRecorder reports, relay.sts.source.StsEvents events, Clock clock,
            Random random) {
        Map<Domain, PolicyOverrides.Action> overrides = new HashMap<>();
        config.overrides().forEach((domain, value) -> {
            PolicyOverrides.Action o = override(domain, value);
            overrides.put(Domain.parse(domain), o);
            LOG.warn("mta-sts override: {} for {}: {}", value, domain, o == PolicyOverrides.Action.SKIP
                    ? "its MTA-STS policy is ignored, mail goes with opportunistic TLS"
                    : "verified TLS is required whatever its policy says");
        });
        if (!config.enabled()) {
            LOG.warn("mta-sts.enabled is off: no MTA-STS policy is looked up or enforced");
            return new StsWiring(new PolicyOverrides(overrides, TlsPolicySource.none()), new PolicyStore(dataSource), null,
                    null);
        }
        // the one store of the database: deliveries read it from memory, the admin's purge writes through it
        PolicyStore store = new PolicyStore(dataSource);
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        PolicyFetcher fetcher = new PolicyFetcher(dns, verifier, group, new FetchSettings(config.httpsPort(),
                config.connectTimeout(), config.fetchTimeout(), FetchSettings.RFC_MAX_BYTES));
        StsPolicySource sts = new StsPolicySource(new StsDiscovery(dns), () -> new StsDiscovery(new Dns(dnsSettings)),
                fetcher::fetch, store, reports, events, clock, random);
        ScheduledExecutorService refresher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "mta-sts-refresh");
            t.setDaemon(true);
            return t;
        });
        long every = config.refreshCheck().toMillis();
        refresher.scheduleWithFixedDelay(() -> refresh(sts), every, every, TimeUnit.MILLISECONDS);
        return new StsWiring(new PolicyOverrides(overrides, sts), store, group, refresher);
    }

    /** RFC 8461 §3.3 (STS-25): refresh policies in use before they expire; never let a failure kill the schedule. */
    private static void refresh(StsPolicySource sts) {
        try {
            RefreshReport r = sts.refreshDue();
            if (r.refreshed() + r.failed() + r.backedOff() > 0) {
                LOG.info("mta-sts refresh refreshed={} failed={} backed-off={}", r.refreshed(), r.failed(), r.backedOff());
            }
        } catch (RuntimeException e) {
            LOG.error("mta-sts refresh failed: {}", e.toString());
        }
    }

    /** Parses one {@code mta-sts.overrides} entry; {@link IllegalArgumentException} names what is wrong. */
    static PolicyOverrides.Action override(String domain, String value) {
        Domain d = Domain.parse(domain);
        if (d.isAddressLiteral()) {
            throw new IllegalArgumentException("an address literal has no MTA-STS policy to override");
        }
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "skip" -> PolicyOverrides.Action.SKIP;
            case "require" -> PolicyOverrides.Action.REQUIRE;
            default -> throw new IllegalArgumentException("must be skip or require, not '" + value + "'");
        };
    }

    TlsPolicySource source() {
        return source;
    }

    /** The policy cache, for the admin views (relay sts cache). */
    PolicyStore store() {
        return store;
    }

    @Override
    public void close() {
        if (refresher != null) {
            refresher.shutdownNow();
        }
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3000);
        }
    }
}
