package relay.queue;

import java.io.IOException;
import java.io.InputStream;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import javax.sql.DataSource;
import relay.core.mail.Envelope;
import relay.core.mail.QueueId;
import relay.core.spool.Spool;
import relay.core.spool.SpoolException;

/**
 * The spool in H2: envelope and body in one transaction, then a shared sync ({@link GroupCommit})
 * before {@link #accept} returns, so a {@code 250} is never said for mail that is not on disk.
 */
public final class H2Spool implements Spool {

    private final DataSource dataSource;
    private final GroupCommit groupCommit;
    private final Clock clock;
    private final QueueSettings settings;
    private final WorkSignal signal;
    private final java.util.Optional<StorageGuard> storage;

    public H2Spool(DataSource dataSource, GroupCommit groupCommit, Clock clock, QueueSettings settings, WorkSignal signal) {
        this(dataSource, groupCommit, clock, settings, signal, java.util.Optional.empty());
    }

    /** @param storage refuses mail at MAIL while the disk is below its reserve */
    public H2Spool(DataSource dataSource, GroupCommit groupCommit, Clock clock, QueueSettings settings, WorkSignal signal,
            java.util.Optional<StorageGuard> storage) {
        this.storage = storage;
        this.dataSource = dataSource;
        this.groupCommit = groupCommit;
        this.clock = clock;
        this.settings = settings;
        this.signal = signal;
    }

    @Override
    public boolean hasRoomFor(long octets) {
        return storage.map(g -> g.hasRoomFor(octets)).orElse(true);
    }

    @Override
    public void accept(QueueId id, Envelope envelope, InputStream message) throws IOException, SpoolException {
        Instant now = clock.instant();
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                MessageWriter.insert(c, id, envelope, message, now, now.plus(settings.lifetime()));
                c.commit();
            } catch (IOException | SQLException | RuntimeException e) {
                rollback(c);
                throw e;
            }
        } catch (SQLException | RuntimeException e) {
            throw new SpoolException("cannot store message " + id + ": " + e.getMessage(), e);
        }
        groupCommit.awaitDurable();
        signal.wake();
    }

    static void rollback(Connection c) {
        try {
            c.rollback();
        } catch (SQLException ignored) {
            // the connection is broken; the pool discards it and H2 rolls back on close
        }
    }
}
