package relay.queue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import relay.core.mail.QueueId;

/**
 * The operator's view of the queue and the actions on it (the admin HTTP server and the
 * {@code relay queue} commands): list and show messages, make deferred mail due now, delete a
 * message. Deliveries themselves go through {@link QueueStore}.
 */
public final class QueueControl {

    private static final Logger LOG = LoggerFactory.getLogger("relay.queue");

    private final DataSource dataSource;
    private final Clock clock;
    private final WorkSignal signal;

    /** @param signal woken after a retry, so the scheduler claims the mail at once */
    public QueueControl(DataSource dataSource, Clock clock, WorkSignal signal) {
        this.dataSource = dataSource;
        this.clock = clock;
        this.signal = signal;
    }

    /** One message in the spool with its recipients in envelope order; an empty sender is {@code <>}. */
    public record MessageView(QueueId id, Optional<String> sender, Instant arrival, long size,
            List<QueueStore.RecipientView> recipients) {
    }

    /** What {@link #delete} did. */
    public enum Removal {
        DELETED,
        NOT_FOUND,
        /** A delivery attempt holds a live lease on one of its recipients: try again when it ends. */
        DELIVERING
    }

    private static final String MESSAGES = "SELECT m.id, m.sender, m.received_at, OCTET_LENGTH(m.body), r.address,"
            + " r.state, r.attempts, r.next_attempt_at, r.last_status, r.last_diagnostic, r.remote_mta"
            + " FROM message m JOIN recipient r ON r.message_id = m.id";

    /** Up to {@code limit} messages, oldest first. */
    public List<MessageView> list(int limit) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement(MESSAGES + " WHERE m.id IN (SELECT id FROM message"
                     + " ORDER BY received_at, id FETCH FIRST ? ROWS ONLY) ORDER BY m.received_at, m.id, r.seq")) {
            s.setInt(1, limit);
            return read(s);
        }
    }

    /** The message with this id, while it is in the spool. */
    public Optional<MessageView> message(QueueId id) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement(MESSAGES + " WHERE m.id = ? ORDER BY r.seq")) {
            s.setString(1, id.value());
            return read(s).stream().findFirst();
        }
    }

    private static List<MessageView> read(PreparedStatement s) throws SQLException {
        Map<String, MessageView> out = new LinkedHashMap<>();
        try (ResultSet rs = s.executeQuery()) {
            while (rs.next()) {
                MessageView m = out.computeIfAbsent(rs.getString(1), id -> {
                    try {
                        return new MessageView(new QueueId(id), Optional.ofNullable(rs.getString(2)),
                                rs.getTimestamp(3).toInstant(), rs.getLong(4), new ArrayList<>());
                    } catch (SQLException e) {
                        throw new IllegalStateException(e);
                    }
                });
                m.recipients().add(new QueueStore.RecipientView(rs.getString(5), rs.getString(6), rs.getInt(7),
                        rs.getTimestamp(8).toInstant(), Optional.ofNullable(rs.getString(9)),
                        Optional.ofNullable(rs.getString(10)), Optional.ofNullable(rs.getString(11))));
            }
        }
        return out.values().stream().map(m -> new MessageView(m.id(), m.sender(), m.arrival(), m.size(),
                List.copyOf(m.recipients()))).toList();
    }

    /**
     * Makes the message's deferred recipients due now (like {@code postqueue -i}).
     *
     * @return how many recipients were made due; empty when no such message is queued
     */
    public OptionalInt retryNow(QueueId id) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            if (!exists(c, id)) {
                return OptionalInt.empty();
            }
            try (PreparedStatement u = c.prepareStatement("UPDATE recipient SET next_attempt_at = ?"
                    + " WHERE message_id = ? AND state = 'DEFERRED' AND next_attempt_at > ?")) {
                Timestamp now = Timestamp.from(clock.instant());
                u.setTimestamp(1, now);
                u.setString(2, id.value());
                u.setTimestamp(3, now);
                int n = u.executeUpdate();
                LOG.info("retry id={} recipients={} (operator)", id, n);
                signal.wake();
                return OptionalInt.of(n);
            }
        }
    }

    /** Makes every deferred recipient due now (like {@code postqueue -f}); returns how many. */
    public int retryAll() throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement u = c.prepareStatement("UPDATE recipient SET next_attempt_at = ?"
                     + " WHERE state = 'DEFERRED' AND next_attempt_at > ?")) {
            Timestamp now = Timestamp.from(clock.instant());
            u.setTimestamp(1, now);
            u.setTimestamp(2, now);
            int n = u.executeUpdate();
            LOG.info("flush recipients={} (operator)", n);
            signal.wake();
            return n;
        }
    }

    /**
     * Deletes the message and its recipients without a DSN (like {@code postsuper -d}). A message
     * with a delivery in progress is left alone: deleting it under the attempt could not stop the
     * mail from going out, and would only lose the attempt's record.
     */
    public Removal delete(QueueId id) throws SQLException {
        Removal removal = Transactions.run(dataSource, c -> deleteLocked(c, id));
        if (removal == Removal.DELETED) {
            LOG.info("deleted id={} (operator, no DSN)", id);
        }
        return removal;
    }

    private Removal deleteLocked(Connection c, QueueId id) throws SQLException {
        // the message row's lock keeps an attempt from recording (and deleting) meanwhile
        try (PreparedStatement s = c.prepareStatement("SELECT 1 FROM message WHERE id = ? FOR UPDATE")) {
            s.setString(1, id.value());
            try (ResultSet rs = s.executeQuery()) {
                if (!rs.next()) {
                    return Removal.NOT_FOUND;
                }
            }
        }
        try (PreparedStatement s = c.prepareStatement("SELECT 1 FROM recipient WHERE message_id = ?"
                + " AND state = 'DELIVERING' AND lease_until > ? FETCH FIRST 1 ROWS ONLY")) {
            s.setString(1, id.value());
            s.setTimestamp(2, Timestamp.from(clock.instant()));
            try (ResultSet rs = s.executeQuery()) {
                if (rs.next()) {
                    return Removal.DELIVERING;
                }
            }
        }
        QueueStore.delete(c, id);
        return Removal.DELETED;
    }

    private static boolean exists(Connection c, QueueId id) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT 1 FROM message WHERE id = ?")) {
            s.setString(1, id.value());
            try (ResultSet rs = s.executeQuery()) {
                return rs.next();
            }
        }
    }
}
