package relay.app;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.LocalDate;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import relay.core.dns.Dns;
import relay.core.mail.Domain;
import relay.queue.Database;
import relay.queue.GroupCommit;
import relay.queue.H2Spool;
import relay.queue.QueueSettings;
import relay.queue.WorkSignal;
import relay.sts.cache.StsSchema;
import relay.sts.report.publish.ReportPublisher;
import relay.sts.report.store.TlsReportStore;

/**
 * {@code relay tlsrpt preview|send}: the RFC 8460 report of a day, shown or sent now. Works on
 * the relay's database directly, so the relay must be stopped (H2 keeps its file to itself).
 */
@Command(name = "tlsrpt", description = "Shows or sends the RFC 8460 TLS reports of a day (the relay must be stopped).",
        subcommands = {TlsRptCommand.Preview.class, TlsRptCommand.Send.class})
final class TlsRptCommand implements Callable<Integer> {

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", scope = picocli.CommandLine.ScopeType.INHERIT,
            description = "YAML file with the keys to change from the embedded defaults (conf/relay.yaml).")
    Path config;

    @Override
    public Integer call() {
        new picocli.CommandLine(this).usage(System.out);
        return 0;
    }

    @Command(name = "preview", description = "Prints the report JSON that would be sent for a UTC day.")
    static final class Preview implements Callable<Integer> {
        @ParentCommand
        TlsRptCommand parent;
        @Option(names = "--date", required = true, paramLabel = "YYYY-MM-DD", description = "The UTC day.")
        LocalDate date;
        @Option(names = "--domain", paramLabel = "DOMAIN", description = "Only this policy domain.")
        String domain;

        @Override
        public Integer call() throws Exception {
            try (Offline o = Offline.open(parent.config)) {
                List<Domain> domains = domain != null ? List.of(Domain.parse(domain)) : o.counts.domains(date);
                if (domains.isEmpty()) {
                    System.err.println("relay: no TLS sessions were counted on " + date);
                    return 1;
                }
                for (Domain d : domains) {
                    Optional<byte[]> json = o.publisher.preview(d, date);
                    if (json.isEmpty()) {
                        System.err.println("relay: no TLS sessions to " + d + " were counted on " + date);
                        return 1;
                    }
                    System.out.println(new String(json.get(), StandardCharsets.UTF_8));
                }
                return 0;
            }
        }
    }

    @Command(name = "send", description = "Sends the reports of a UTC day now (mail goes into the queue;"
            + " HTTPS reports are posted at once). A report already sent is not sent again.")
    static final class Send implements Callable<Integer> {
        @ParentCommand
        TlsRptCommand parent;
        @Option(names = "--date", required = true, paramLabel = "YYYY-MM-DD", description = "The UTC day.")
        LocalDate date;

        @Override
        public Integer call() throws Exception {
            try (Offline o = Offline.open(parent.config)) {
                int created = o.publisher.publish(date);
                o.publisher.attemptDue();
                System.out.println(created + " report(s) of " + date + " created; mailed reports leave with the queue");
                return 0;
            }
        }
    }

    /** The database, spool and publisher of a stopped relay. */
    private static final class Offline implements AutoCloseable {
        final Database database;
        final GroupCommit groupCommit;
        final TlsRptWiring wiring;
        final ReportPublisher publisher;
        final TlsReportStore counts;

        private Offline(Database database, GroupCommit groupCommit, TlsRptWiring wiring, ReportPublisher publisher) {
            this.database = database;
            this.groupCommit = groupCommit;
            this.wiring = wiring;
            this.publisher = publisher;
            this.counts = new TlsReportStore(database.dataSource());
        }

        static Offline open(Path config) throws ConfigException, IOException {
            RelayConfig cfg = new ConfigLoader(System.getenv()).load(Optional.ofNullable(config));
            Database database;
            try {
                database = Database.open(cfg.data().dir(), 4);
            } catch (RuntimeException e) {
                throw new IllegalStateException("cannot open the relay's database in " + cfg.data().dir()
                        + " (is the relay running? stop it first): " + rootMessage(e), e);
            }
            StsSchema.migrate(database.dataSource());
            GroupCommit groupCommit = new GroupCommit(database.dataSource());
            RelayConfig.Queue q = cfg.queue();
            QueueSettings settings = new QueueSettings(q.lifetime(), q.firstRetry(), q.maxRetry(), q.lease(), q.workers(),
                    cfg.hostname().isBlank() ? "localhost" : cfg.hostname());
            H2Spool spool = new H2Spool(database.dataSource(), groupCommit, Clock.systemUTC(), settings, new WorkSignal());
            TlsRptWiring wiring = new TlsRptWiring(database.dataSource());
            ReportPublisher publisher = wiring.publisher(cfg.tlsrpt(), database.dataSource(),
                    new Dns(Relay.dnsSettings(cfg)), Relay.verifier(cfg, Clock.systemUTC()), spool, Clock.systemUTC(),
                    new Random(new SecureRandom().nextLong()));
            return new Offline(database, groupCommit, wiring, publisher);
        }

        private static String rootMessage(Throwable e) {
            while (e.getCause() != null) {
                e = e.getCause();
            }
            return e.getMessage();
        }

        @Override
        public void close() {
            wiring.close();
            groupCommit.close();
            database.close();
        }
    }
}
