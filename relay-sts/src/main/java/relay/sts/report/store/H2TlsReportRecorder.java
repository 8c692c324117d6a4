package relay.sts.report.store;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import relay.core.report.TlsReportRecorder;
import relay.core.report.TlsSessionResult;

/**
 * Counts every outbound session for the RFC 8460 daily reports: {@link #record} adds to counters
 * in memory (a few map operations under a lock, no I/O), and a background thread adds them to
 * the H2 counters of {@link TlsReportStore} every {@code flushEvery}, one transaction per flush.
 * A flush that fails keeps its counts in memory for the next one; {@link #close} flushes what is
 * left, so a clean shutdown loses nothing. Nothing here ever throws into the delivery that calls
 * {@link #record} (RFC 8460 reporting must not disturb mail): failures are logged.
 */
public final class H2TlsReportRecorder implements TlsReportRecorder, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(H2TlsReportRecorder.class);

    private final TlsReportStore store;
    private final ScheduledExecutorService flusher;
    private final Object lock = new Object();
    private final Object flushLock = new Object();
    private Tally pending = new Tally();
    private volatile boolean closed;

    /** Starts the flush thread; {@code flushEvery} bounds what a crash (not a clean close) can lose. */
    public H2TlsReportRecorder(TlsReportStore store, Duration flushEvery) {
        this.store = store;
        this.flusher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tlsrpt-flush");
            t.setDaemon(true);
            return t;
        });
        long millis = Math.max(1, flushEvery.toMillis());
        flusher.scheduleWithFixedDelay(this::flushQuietly, millis, millis, TimeUnit.MILLISECONDS);
    }

    @Override
    public void record(TlsSessionResult result) {
        try {
            synchronized (lock) {
                pending.add(result);
            }
            if (closed) {
                flush(); // a late session after close: written at once rather than lost
            }
        } catch (RuntimeException e) {
            log.warn("TLSRPT: could not count a session to {}: {}", result == null ? null : result.policyDomain(), e.toString());
        }
    }

    /**
     * Writes the counts gathered so far; returns false (and keeps them for the next flush) when
     * the database refused them.
     */
    public boolean flush() {
        synchronized (flushLock) {
            Tally batch;
            synchronized (lock) {
                if (pending.isEmpty()) {
                    return true;
                }
                batch = pending;
                pending = new Tally();
            }
            try {
                store.add(batch);
                return true;
            } catch (RuntimeException e) {
                synchronized (lock) {
                    batch.addAll(pending);
                    pending = batch;
                }
                log.warn("TLSRPT: could not store the counts of {} sessions, keeping them for the next flush: {}",
                        batch.sessions(), e.toString());
                return false;
            }
        }
    }

    /** Stops the flush thread and writes what is left. */
    @Override
    public void close() {
        closed = true;
        flusher.shutdown();
        try {
            if (!flusher.awaitTermination(10, TimeUnit.SECONDS)) {
                log.warn("TLSRPT: the flush thread did not stop within 10 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!flush()) {
            long lost;
            synchronized (lock) {
                lost = pending.sessions();
            }
            log.error("TLSRPT: the counts of {} sessions could not be stored at close and are lost", lost);
        }
    }

    private void flushQuietly() {
        try {
            flush();
        } catch (RuntimeException e) {
            log.warn("TLSRPT: flush failed: {}", e.toString());
        }
    }
}
