package relay.queue;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import relay.core.spool.SpoolException;

/**
 * Makes committed transactions durable, many at a time. An H2 commit only reaches memory; H2
 * writes and syncs its file about once a second, and never combines the syncs of concurrent
 * commits. So after its commit each accept calls {@link #awaitDurable}, and one thread runs
 * {@code CHECKPOINT SYNC} (write the pending changes as one chunk, then fsync) for every caller
 * that arrived before the sync began. Callers that arrive during a sync share the next one: with
 * N sessions committing at once there is one sync per batch, not per message.
 *
 * <p>Under load (the last batch had more than one caller) the thread waits up to
 * {@code gather} for more callers before it syncs, as PostgreSQL's {@code commit_delay} does:
 * every chunk H2 writes carries a fixed cost (its page tree, the chunk's metadata), so fewer and
 * larger chunks cost less CPU per message. A lone message is synced at once.
 */
public final class GroupCommit implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(GroupCommit.class);

    private final DataSource dataSource;
    private final Thread thread;
    private final AtomicLong syncs = new AtomicLong();
    private final long gatherNanos;
    private CompletableFuture<Void> next = new CompletableFuture<>();
    /** Callers waiting for the next sync. */
    private int waiting;
    private int lastBatch;
    private boolean closed;

    /** How long a sync under load waits for more callers, by default. */
    public static final Duration GATHER = Duration.ofMillis(2);

    public GroupCommit(DataSource dataSource) {
        this(dataSource, GATHER);
    }

    /** @param gather how long a sync under load waits for more callers (zero: never) */
    public GroupCommit(DataSource dataSource, Duration gather) {
        this.dataSource = dataSource;
        this.gatherNanos = gather.toNanos();
        this.thread = new Thread(this::run, "group-commit");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /**
     * Returns once everything this thread committed before the call is on stable storage.
     *
     * @throws SpoolException when the sync failed or did not finish in time
     */
    public void awaitDurable() throws SpoolException {
        CompletableFuture<Void> batch;
        synchronized (this) {
            if (closed) {
                throw new SpoolException("the spool is closed", null);
            }
            batch = next;
            waiting++;
            notifyAll();
        }
        try {
            batch.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new SpoolException("sync to disk failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new SpoolException("sync to disk took more than 30 s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SpoolException("interrupted while waiting for the disk", e);
        }
    }

    /** How many syncs have completed: divide by accepted messages for syncs per message. */
    public long syncCount() {
        return syncs.get();
    }

    private void run() {
        Connection connection = null;
        while (true) {
            CompletableFuture<Void> batch;
            synchronized (this) {
                while (waiting == 0 && !closed) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        closed = true;
                    }
                }
                if (closed && waiting == 0) {
                    break;
                }
                if (lastBatch > 1) {
                    gather();
                }
                batch = next;
                next = new CompletableFuture<>();
                lastBatch = waiting;
                waiting = 0;
            }
            try {
                if (connection == null || connection.isClosed()) {
                    connection = dataSource.getConnection();
                }
                try (Statement s = connection.createStatement()) {
                    s.execute("CHECKPOINT SYNC");
                }
                syncs.incrementAndGet();
                batch.complete(null);
            } catch (Throwable e) {
                // whatever went wrong, this thread lives on: without it no accept would ever end
                LOG.error("CHECKPOINT SYNC failed: {}", e.toString());
                batch.completeExceptionally(e);
                close(connection);
                connection = null;
            }
        }
        close(connection);
    }

    /** Waits, holding this monitor's queue open, until {@code gather} has passed or we close. */
    private void gather() {
        long until = System.nanoTime() + gatherNanos;
        long left;
        while (!closed && (left = until - System.nanoTime()) > 0) {
            try {
                TimeUnit.NANOSECONDS.timedWait(this, left);
            } catch (InterruptedException e) {
                closed = true;
            }
        }
    }

    private static void close(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // the pool replaces a broken connection
            }
        }
    }

    /** Syncs what is pending, then stops the sync thread. */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            notifyAll();
        }
        try {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
