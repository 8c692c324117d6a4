package relay.sts.report.publish;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import relay.core.mail.Domain;
import relay.core.mail.Envelope;
import relay.core.mail.QueueId;
import relay.core.spool.Spool;
import relay.core.spool.SpoolException;
import relay.sts.report.PolicyResults;
import relay.sts.report.Reporter;
import relay.sts.report.TlsReport;
import relay.sts.report.https.PostResult;
import relay.sts.report.https.ReportPoster;
import relay.sts.report.json.ReportGzip;
import relay.sts.report.json.ReportJson;
import relay.sts.report.mail.ReportMessage;
import relay.sts.report.record.Rua;
import relay.sts.report.record.RptDiscovery;
import relay.sts.report.record.RptLookup;
import relay.sts.report.record.TlsRptDiscovery;
import relay.sts.report.record.TlsRptRecord;
import relay.sts.report.record.TlsRptRecordParser;
import relay.sts.report.store.TlsReportStore;

/**
 * The daily TLSRPT run (RFC 8460 §3-5). On each {@link #tick}: for the previous UTC days whose
 * {@link SendWindow} moment has passed, every policy domain with counts gets its report once
 * ({@link ReportLedger}), sent to every usable rua of its {@code _smtp._tls} record (RPT-08 MAY:
 * all of them): {@code mailto:} through the relay's own {@link Spool}, {@code https:} by
 * {@link ReportPoster}. Each rua is retried on its own ({@link RetryPolicy}) with the same
 * report-id and payload (RPT-16). A domain whose lookup fails (SERVFAIL) is asked again on the
 * next tick. Nothing here throws out of a tick: failures are logged.
 */
public final class ReportPublisher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ReportPublisher.class);
    /**
     * Counts and ledger rows are kept this many days: a day is published within two days and its
     * deliveries end a day later (RFC 8460 §5.5), so older rows only grow the database.
     */
    static final int KEEP_DAYS = 8;

    private final TlsReportStore counts;
    private final ReportLedger ledger;
    private final TlsRptDiscovery discovery;
    private final Spool spool;
    private final ReportPoster poster;
    private final ReportMessage mail;
    private final Reporter reporter;
    private final SendWindow window;
    private final RetryPolicy retry;
    private final Clock clock;
    private final RandomGenerator random;
    private final Runnable flushCounts;
    private ScheduledExecutorService timer;

    public ReportPublisher(TlsReportStore counts, ReportLedger ledger, TlsRptDiscovery discovery, Spool spool,
            ReportPoster poster, ReportMessage mail, Reporter reporter, SendWindow window, RetryPolicy retry, Clock clock,
            RandomGenerator random) {
        this(counts, ledger, discovery, spool, poster, mail, reporter, window, retry, clock, random, () -> { });
    }

    /**
     * @param flushCounts writes the counts a recorder still holds in memory, run before each
     *     tick, so a report never misses the last sessions of its day
     */
    public ReportPublisher(TlsReportStore counts, ReportLedger ledger, TlsRptDiscovery discovery, Spool spool,
            ReportPoster poster, ReportMessage mail, Reporter reporter, SendWindow window, RetryPolicy retry, Clock clock,
            RandomGenerator random, Runnable flushCounts) {
        this.flushCounts = flushCounts;
        this.counts = counts;
        this.ledger = ledger;
        this.discovery = discovery;
        this.spool = spool;
        this.poster = poster;
        this.mail = mail;
        this.reporter = reporter;
        this.window = window;
        this.retry = retry;
        this.clock = clock;
        this.random = random;
    }

    /** Ticks every {@code every} on a daemon thread until {@link #close}. */
    public synchronized void start(Duration every) {
        if (timer == null) {
            timer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "tlsrpt-publish");
                t.setDaemon(true);
                return t;
            });
            timer.scheduleWithFixedDelay(this::tick, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** Publishes the days that are due (the last two UTC days), then makes the due attempts. */
    public void tick() {
        try {
            flushCounts.run();
            Instant now = clock.instant();
            LocalDate today = LocalDate.ofInstant(now, ZoneOffset.UTC);
            for (LocalDate day : List.of(today.minusDays(2), today.minusDays(1))) {
                if (!now.isBefore(window.sendTime(day))) {
                    publish(day);
                }
            }
            attemptDue();
            counts.deleteBefore(today.minusDays(KEEP_DAYS));
            ledger.deleteBefore(today.minusDays(KEEP_DAYS));
        } catch (RuntimeException e) {
            log.warn("TLSRPT: publishing failed, trying again on the next tick: {}", e.toString());
        }
    }

    /**
     * Creates the reports of {@code day} for every policy domain with counts that has none yet
     * (also for {@code relay tlsrpt send}); returns how many were created here.
     */
    public int publish(LocalDate day) {
        int created = 0;
        for (Domain domain : counts.domains(day)) {
            if (!ledger.exists(domain, day) && create(domain, day)) {
                created++;
            }
        }
        return created;
    }

    /** The JSON that would be sent for {@code domain} and {@code day}, if there are counts. */
    public Optional<byte[]> preview(Domain domain, LocalDate day) {
        return report(domain, day, "preview").map(ReportJson::write);
    }

    /** Makes one attempt at every delivery that is due and not held by another worker. */
    public void attemptDue() {
        Instant now = clock.instant();
        for (Delivery d : ledger.claimDue(now, retry.lease(), 100)) {
            String error;
            try {
                error = send(d);
            } catch (RuntimeException e) {
                error = e.toString(); // a bug or a bad setting: counted as a failed attempt, so it ends too
            }
            Instant after = clock.instant();
            if (error == null) {
                ledger.delivered(d, after);
                log.info("TLSRPT: report {} of {} for {} delivered to {}", d.reportId(), d.domain(), d.day(), d.rua());
            } else {
                Optional<Instant> next = retry.next(d.firstAttemptAt().orElse(now), after, d.attempts() + 1);
                ledger.failed(d, after, next, error);
                log.warn("TLSRPT: report {} of {} for {} not delivered to {}: {}; {}", d.reportId(), d.domain(), d.day(),
                        d.rua(), error, next.map(t -> "next attempt at " + t).orElse("giving up (RFC 8460 §5.5)"));
            }
        }
    }

    private boolean create(Domain domain, LocalDate day) {
        RptLookup lookup = discovery.lookup(domain);
        Instant now = clock.instant();
        if (lookup instanceof RptLookup.Failed f) {
            log.warn("TLSRPT: no report for {} on {} yet: {}", domain, day, f.reason());
            return false;
        }
        RptDiscovery found = ((RptLookup.Answered) lookup).discovery();
        String id = TlsReport.newReportId(random);
        Optional<TlsRptRecord> record = found.found();
        if (record.isEmpty()) {
            log.info("TLSRPT: no report for {} on {}: {}", domain, day, found.describe());
            return ledger.create(domain, day, id, null, List.of(), found.describe(), now);
        }
        Optional<TlsReport> report = report(domain, day, id);
        if (report.isEmpty()) {
            return false;
        }
        List<URI> ruas = record.get().rua().stream().map(Rua::uri).toList();
        boolean mine = ledger.create(domain, day, id, ReportGzip.of(report.get()), ruas, "sending", now);
        if (mine) {
            log.info("TLSRPT: report {} of {} for {} ({} sessions) goes to {}", id, domain, day, report.get().sessions(), ruas);
        }
        return mine;
    }

    private Optional<TlsReport> report(Domain domain, LocalDate day, String id) {
        List<PolicyResults> results = counts.results(domain, day);
        return results.isEmpty() ? Optional.empty() : Optional.of(new TlsReport(reporter, domain, day, id, results));
    }

    /** One attempt; null when delivered, else why not. */
    private String send(Delivery d) {
        Rua rua = TlsRptRecordParser.uri(d.rua().toString());
        if (rua instanceof Rua.Https) {
            PostResult r = poster.post(d.rua(), d.reportGz());
            return r instanceof PostResult.Failed f ? f.reason() : null;
        }
        if (rua instanceof Rua.Mailto m) {
            Optional<TlsReport> report = report(d.domain(), d.day(), d.reportId());
            if (report.isEmpty()) {
                return "the counts of " + d.day() + " are gone";
            }
            byte[] message = mail.build(report.get(), d.reportGz(), List.of(m.address()));
            // RFC 8460 §3 and RFC 8689 §4.3 (RPT-45, RTLS-17): the report carries TLS-Required: No,
            // and the queue knows it, so the recipient's TLS policy never stops it
            Envelope envelope = new Envelope(Optional.of(reporter.contactInfo()), List.of(m.address()), false, false)
                    .withTlsOptional();
            try {
                spool.accept(QueueId.generate(clock.instant(), random), envelope, new ByteArrayInputStream(message));
                return null;
            } catch (IOException | SpoolException e) {
                return "the queue refused the report: " + e.getMessage();
            }
        }
        return "unusable rua " + d.rua();
    }

    @Override
    public synchronized void close() {
        if (timer != null) {
            timer.shutdownNow();
            timer = null;
        }
    }
}
