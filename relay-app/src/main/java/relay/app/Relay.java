package relay.app;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.SQLException;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.random.RandomGenerator;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import relay.core.delivery.DeliveryAgent;
import relay.core.dns.Dns;
import relay.core.dns.DnsSettings;
import relay.core.dns.MxResolver;
import relay.core.outbound.OutboundSettings;
import relay.core.outbound.SmtpDeliveryAgent;
import relay.core.outbound.SmtpTimeouts;
import relay.core.policy.TlsPolicySource;
import relay.core.report.TlsReportRecorder;
import relay.sts.cache.StsSchema;
import relay.core.tls.CertificateVerifier;
import relay.core.smtp.Cidr;
import relay.core.smtp.ListenerSettings;
import relay.core.smtp.PasswordHash;
import relay.core.smtp.SmtpListener;
import relay.core.smtp.UserDirectory;
import relay.core.tls.PemFiles;
import relay.app.admin.AdminServer;
import relay.app.admin.Readiness;
import relay.app.metrics.RelayMetrics;
import relay.core.report.TlsReportRecorder;
import relay.queue.Database;
import relay.queue.GroupCommit;
import relay.queue.H2Spool;
import relay.queue.Handoff;
import relay.queue.QueueControl;
import relay.queue.QueueSettings;
import relay.queue.QueueStore;
import relay.queue.Scheduler;
import relay.queue.StorageGuard;
import relay.queue.WorkSignal;

/**
 * The running relay, wired by hand: database, spool, scheduler, listener. Start order is the
 * reverse of stop order, so the listener never says 250 without a spool behind it.
 */
public final class Relay implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger("relay");

    private final RelayConfig config;
    private final Database database;
    private final GroupCommit groupCommit;
    private final QueueStore store;
    private final Optional<Scheduler> scheduler;
    private final Optional<DeliveryAgent> agent;
    private final SmtpListener listener;
    private final Optional<StsWiring> sts;
    private final Optional<TlsRptWiring> tlsrpt;
    // operating: metrics always, the admin HTTP server once the listener is up (admin.enabled)
    private final RelayMetrics metrics;
    private final WorkSignal signal;
    private Optional<AdminServer> admin = Optional.empty();

    private Relay(RelayMetrics metrics, WorkSignal signal, RelayConfig config, Database database, GroupCommit groupCommit,
            QueueStore store, Optional<Scheduler> scheduler, Optional<DeliveryAgent> agent, SmtpListener listener,
            Optional<StsWiring> sts, Optional<TlsRptWiring> tlsrpt) {
        this.metrics = metrics;
        this.signal = signal;
        this.sts = sts;
        this.tlsrpt = tlsrpt;
        this.config = config;
        this.database = database;
        this.groupCommit = groupCommit;
        this.store = store;
        this.scheduler = scheduler;
        this.agent = agent;
        this.listener = listener;
    }

    /**
     * Opens the spool, starts delivering with {@code agent} (when given) and starts listening.
     *
     * @throws IOException when the data directory or the listen address cannot be used
     */
    public static Relay start(RelayConfig config, Optional<DeliveryAgent> agent, Clock clock) throws IOException, SQLException {
        // queue ids, retry jitter and MX shuffling need spread, not secrecy: a seeded, thread-safe
        // generator, not SecureRandom (its NativePRNG serialises every session on one lock)
        RandomGenerator random = new java.util.Random(new SecureRandom().nextLong());
        String hostName = hostName(config);
        Path dir = config.data().dir();
        Files.createDirectories(dir);
        RelayConfig.Queue q = config.queue();
        QueueSettings queueSettings = new QueueSettings(q.lifetime(), q.firstRetry(), q.maxRetry(), q.lease(), q.workers(), hostName);
        RelayMetrics metrics = new RelayMetrics();
        Database database = Database.open(dir, Math.min(config.smtp().maxConnections(), 64) + q.workers() + 4,
                Optional.of(metrics.connectionPool()));
        GroupCommit groupCommit = new GroupCommit(database.dataSource());
        WorkSignal signal = new WorkSignal();
        QueueStore store = new QueueStore(database.dataSource(), clock, queueSettings, random, metrics.queueEvents());
        StsSchema.migrate(database.dataSource());
        Optional<StsWiring> sts = Optional.empty();
        Optional<TlsRptWiring> tlsrpt = Optional.empty();
        Optional<DeliveryAgent> deliverer = agent;
        Dns dns = null;
        CertificateVerifier verifier = null;
        if (!config.delivery().enabled()) {
            deliverer = Optional.empty();
        } else if (agent.isEmpty()) {
            DnsSettings dnsSettings = dnsSettings(config);
            dns = new Dns(dnsSettings);
            verifier = verifier(config, clock);
            tlsrpt = Optional.of(new TlsRptWiring(database.dataSource()));
            sts = Optional.of(StsWiring.start(config.mtaSts(), dns, dnsSettings, verifier, database.dataSource(),
                    tlsrpt.get().recorder(), metrics.stsEvents(), clock, new java.util.Random(random.nextLong())));
            deliverer = Optional.of(smtpAgent(config, hostName, dns, sts.get().source(),
                    metrics.tlsSessions(tlsrpt.get().recorder()), verifier, clock, random));
        }
        Optional<Scheduler> scheduler = deliverer.map(a -> new Scheduler(store, a, signal, queueSettings, q.pollInterval(),
                "relay-" + Long.toHexString(random.nextLong())));
        H2Spool spool = new H2Spool(database.dataSource(), groupCommit, clock, queueSettings, signal,
                Optional.of(new StorageGuard(dir, config.data().minFreeSpace().octets())),
                scheduler.map(Scheduler::handoff).orElse(Handoff.none()));
        SmtpListener listener = new SmtpListener(listenerSettings(config, hostName), spool, clock, random,
                metrics.listenerEvents());
        metrics.watchQueue(store, clock);
        Relay relay = new Relay(metrics, signal, config, database, groupCommit, store, scheduler, deliverer, listener, sts,
                tlsrpt);
        try {
            if (scheduler.isPresent()) {
                scheduler.get().start();
            } else {
                LOG.warn("delivery.enabled is off: mail is accepted and kept in the queue, but not delivered");
            }
            listener.start();
            if (tlsrpt.isPresent()) {
                tlsrpt.get().startPublishing(config.tlsrpt(), database.dataSource(), dns, verifier, spool, clock, random);
            }
            relay.startAdmin(clock);
        } catch (RuntimeException | SQLException | IOException e) {
            relay.close();
            Throwable root = e;
            while (root.getCause() != null) {
                root = root.getCause();
            }
            if (root instanceof java.net.BindException && !(e instanceof IOException)) {
                throw new IOException("cannot listen for SMTP on " + config.smtp().bind() + ":" + config.smtp().port()
                        + ": " + root.getMessage(), e);
            }
            throw e;
        }
        LOG.info("relay started smtp={}:{} data={} hostname={}", config.smtp().bind(), listener.port(),
                dir.toAbsolutePath(), hostName);
        return relay;
    }

    /** The admin HTTP server, when enabled: metrics, health and the queue. */
    private void startAdmin(Clock clock) throws IOException {
        RelayConfig.Admin a = config.admin();
        if (!a.enabled()) {
            return;
        }
        Readiness readiness = new Readiness(database.dataSource(), listener::isRunning, config.data().dir(),
                config.data().minFreeSpace().octets());
        InetSocketAddress address = new InetSocketAddress(InetAddress.getByName(a.bind()), a.port());
        try {
            admin = Optional.of(AdminServer.start(address, a.token(), metrics, readiness,
                    new QueueControl(database.dataSource(), clock, signal),
                    sts.map(StsWiring::store).orElseGet(() -> new relay.sts.cache.PolicyStore(database.dataSource()))));
        } catch (IOException e) {
            throw new IOException("cannot listen for admin HTTP on " + a.bind() + ":" + a.port() + ": " + e.getMessage(), e);
        }
    }

    /** The admin server's port (useful when admin.port is 0). */
    public int adminPort() {
        return admin.orElseThrow(() -> new IllegalStateException("admin.enabled is off")).port();
    }

    /** The relay's one resolver: configured servers, or the system's when none are given. */
    static DnsSettings dnsSettings(RelayConfig config) throws IOException {
        List<InetSocketAddress> servers = new ArrayList<>();
        for (String s : config.dns().servers()) {
            InetSocketAddress hp = HostPort.parse(s, 53);
            servers.add(new InetSocketAddress(InetAddress.getByName(hp.getHostString()), hp.getPort()));
        }
        return new DnsSettings(servers, config.dns().timeout());
    }

    /** The certificate checks of delivery and of the policy fetch: JDK roots plus configured CA files. */
    static CertificateVerifier verifier(RelayConfig config, Clock clock) throws IOException {
        List<X509Certificate> extraCas = new ArrayList<>();
        for (String file : config.delivery().extraCaFiles()) {
            extraCas.addAll(PemFiles.certificates(Path.of(file)));
        }
        return new CertificateVerifier(CertificateVerifier.jdkRootsPlus(extraCas), clock);
    }

    /** The SMTP delivery agent with the relay's one DNS resolver, its policies and certificate checks. */
    static SmtpDeliveryAgent smtpAgent(RelayConfig config, String hostName, Dns dns, TlsPolicySource policies,
            TlsReportRecorder reports, CertificateVerifier verifier, Clock clock, RandomGenerator random) {
        RelayConfig.Delivery d = config.delivery();
        OutboundSettings outbound = new OutboundSettings(d.heloName().isBlank() ? hostName : d.heloName(), d.port(),
                SmtpTimeouts.rfc5321(d.connectTimeout()), d.maxHostsPerAttempt(), d.deadHostMemory(),
                d.idleConnectionTime(), d.maxIdlePerDestination(), d.maxPerDomain(),
                d.routes().stream().map(Routes::toRoute).toList());
        return new SmtpDeliveryAgent(outbound, dns, new MxResolver(dns, random), policies, reports, verifier, clock);
    }

    static ListenerSettings listenerSettings(RelayConfig config, String hostName) throws IOException {
        RelayConfig.Smtp s = config.smtp();
        Optional<SSLContext> tls = s.tls().configured()
                ? Optional.of(PemFiles.serverContext(Path.of(s.tls().certificate()), Path.of(s.tls().privateKey())))
                : Optional.empty();
        Map<String, PasswordHash> users = new HashMap<>();
        s.auth().users().forEach((name, hash) -> users.put(name, PasswordHash.parse(hash)));
        return new ListenerSettings(InetAddress.getByName(s.bind()), s.port(), hostName,
                Math.toIntExact(s.maxMessageSize().octets()), s.maxRecipients(), s.maxConnections(),
                s.maxConnectionsPerClient(), s.commandTimeout(), s.dataTimeout(), s.maxReceivedHeaders(),
                s.clientNetworks().stream().map(Cidr::parse).toList(), tls,
                users.isEmpty() ? Optional.empty() : Optional.of(new UserDirectory(users)), s.auth().allowPlaintext());
    }

    private static String hostName(RelayConfig config) {
        if (!config.hostname().isBlank()) {
            return config.hostname();
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }

    public int smtpPort() {
        return listener.port();
    }

    public QueueStore queue() {
        return store;
    }

    /** The relay's database, for tests in this package and the CLI. */
    javax.sql.DataSource dataSource() {
        return database.dataSource();
    }

    public long syncCount() {
        return groupCommit.syncCount();
    }

    /**
     * Stops in the safe order: no new mail, then deliveries finish or hand back their leases,
     * then the last sync, then the database.
     */
    @Override
    public void close() {
        admin.ifPresent(AdminServer::close);
        listener.close();
        scheduler.ifPresent(s -> s.stop(config.shutdownGrace()));
        agent.ifPresent(a -> {
            if (a instanceof AutoCloseable c) {
                try {
                    c.close();
                } catch (Exception e) {
                    LOG.warn("closing the delivery agent: {}", e.toString());
                }
            }
        });
        sts.ifPresent(StsWiring::close);
        tlsrpt.ifPresent(TlsRptWiring::close);
        groupCommit.close();
        database.close();
        metrics.close();
        LOG.info("relay stopped");
    }
}
