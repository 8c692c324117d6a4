package relay.queue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import relay.core.mail.Envelope;
import relay.core.mail.MailAddress;
import relay.core.mail.QueueId;

/**
 * A real spool for one test: an H2 file database in the test's directory, the group commit, the
 * spool and the store over it, all reading a {@link MutableClock}; plus plain JDBC views of the
 * two tables so tests can check what was really written.
 */
final class QueueFixture implements AutoCloseable {

    static final Instant T0 = Instant.parse("2026-03-02T09:00:00Z");
    static final QueueSettings SETTINGS = new QueueSettings(Duration.ofDays(5), Duration.ofMinutes(5),
            Duration.ofHours(1), Duration.ofMinutes(30), 4, "relay.example.test");

    final Path dir;
    final QueueSettings settings;
    final Database db;
    final GroupCommit groupCommit;
    final MutableClock clock = new MutableClock(T0);
    final WorkSignal signal = new WorkSignal();
    final H2Spool spool;
    final QueueStore store;
    private final Random ids = new Random(20260302);
    private final List<ScriptedAgent> agents = new ArrayList<>();
    private final List<Scheduler> schedulers = new ArrayList<>();

    QueueFixture(Path dir) {
        this(dir, SETTINGS, 8);
    }

    QueueFixture(Path dir, QueueSettings settings, int poolSize) {
        this.dir = dir;
        this.settings = settings;
        this.db = Database.open(dir, poolSize);
        this.groupCommit = new GroupCommit(db.dataSource());
        this.spool = new H2Spool(db.dataSource(), groupCommit, clock, settings, signal);
        this.store = new QueueStore(db.dataSource(), clock, settings, new Random(7));
    }

    /** A spool over the same database that hands fresh mail to {@code handoff}. */
    H2Spool spoolWith(Handoff handoff) {
        return new H2Spool(db.dataSource(), groupCommit, clock, settings, signal, Optional.empty(), handoff);
    }

    /**
     * A scheduler over this spool, not started. Closing the fixture releases the agent's held
     * deliveries and stops the scheduler before the database closes.
     */
    Scheduler scheduler(ScriptedAgent agent, Duration poll, String owner, int maxSlots) {
        agents.add(agent);
        Scheduler s = new Scheduler(store, agent, signal, settings, poll, owner, maxSlots);
        schedulers.add(s);
        return s;
    }

    @Override
    public void close() {
        agents.forEach(ScriptedAgent::release);
        schedulers.forEach(s -> s.stop(Duration.ofSeconds(5)));
        groupCommit.close();
        db.close();
    }

    // ---- building mail

    static MailAddress addr(String mailbox) {
        return MailAddress.parse(mailbox, true);
    }

    /** An envelope; a null sender is the null reverse-path {@code <>}. */
    static Envelope envelope(String sender, String... recipients) {
        return new Envelope(Optional.ofNullable(sender).map(QueueFixture::addr),
                Arrays.stream(recipients).map(QueueFixture::addr).toList(), false, false);
    }

    static byte[] message(String subject) {
        return ("From: Sender <sender@origin.example>\r\nTo: someone@dest.example\r\nSubject: " + subject
                + "\r\nMessage-ID: <" + subject.hashCode() + "@origin.example>\r\n\r\nHello,\r\nthis is " + subject
                + ".\r\n").getBytes(StandardCharsets.UTF_8);
    }

    QueueId newId() {
        return QueueId.generate(clock.peek(), ids);
    }

    QueueId accept(Envelope envelope, byte[] body) throws Exception {
        return accept(spool, envelope, body);
    }

    /** Accepts through {@code through} (a spool with a hand-off, say) instead of the fixture's own. */
    QueueId accept(H2Spool through, Envelope envelope, byte[] body) throws Exception {
        QueueId id = newId();
        through.accept(id, envelope, new ByteArrayInputStream(body));
        return id;
    }

    QueueId accept(String sender, String... recipients) throws Exception {
        return accept(envelope(sender, recipients), message("test message"));
    }

    // ---- reading the tables

    record RecipientRow(int seq, String address, String domain, String state, int attempts, Instant nextAttemptAt,
            String leaseOwner, Instant leaseUntil, String lastStatus, String lastDiagnostic, String remoteMta,
            boolean notified) {
    }

    record MessageRow(QueueId id, String sender, boolean smtpUtf8, boolean eightBit, long size, Instant receivedAt,
            Instant expiresAt, byte[] body) {
    }

    List<RecipientRow> recipients(QueueId id) throws SQLException {
        List<RecipientRow> rows = new ArrayList<>();
        try (Connection c = db.dataSource().getConnection();
             PreparedStatement s = c.prepareStatement("SELECT seq, address, domain, state, attempts, next_attempt_at,"
                     + " lease_owner, lease_until, last_status, last_diagnostic, remote_mta, notified"
                     + " FROM recipient WHERE message_id = ? ORDER BY seq")) {
            s.setString(1, id.value());
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    rows.add(new RecipientRow(rs.getInt(1), rs.getString(2), rs.getString(3), rs.getString(4),
                            rs.getInt(5), instant(rs.getTimestamp(6)), rs.getString(7), instant(rs.getTimestamp(8)),
                            rs.getString(9), rs.getString(10), rs.getString(11), rs.getBoolean(12)));
                }
            }
        }
        return rows;
    }

    RecipientRow recipient(QueueId id, String address) throws SQLException {
        return recipients(id).stream().filter(r -> r.address().equals(address)).findFirst()
                .orElseThrow(() -> new AssertionError("no recipient row " + address + " for " + id));
    }

    Optional<MessageRow> message(QueueId id) throws SQLException {
        try (Connection c = db.dataSource().getConnection();
             PreparedStatement s = c.prepareStatement("SELECT sender, smtputf8, eightbit, OCTET_LENGTH(body), received_at, expires_at,"
                     + " body FROM message WHERE id = ?")) {
            s.setString(1, id.value());
            try (ResultSet rs = s.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                return Optional.of(new MessageRow(id, rs.getString(1), rs.getBoolean(2), rs.getBoolean(3), rs.getLong(4),
                        instant(rs.getTimestamp(5)), instant(rs.getTimestamp(6)), rs.getBytes(7)));
            }
        }
    }

    /** Messages in the spool from the null reverse-path: the DSNs this relay generated. */
    List<QueueId> nullSenderMessages() throws SQLException {
        List<QueueId> found = new ArrayList<>();
        try (Connection c = db.dataSource().getConnection();
             PreparedStatement s = c.prepareStatement("SELECT id FROM message WHERE sender IS NULL ORDER BY id");
             ResultSet rs = s.executeQuery()) {
            while (rs.next()) {
                found.add(new QueueId(rs.getString(1)));
            }
        }
        return found;
    }

    long count(String sql, Object... params) throws SQLException {
        try (Connection c = db.dataSource().getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
            bind(s, params);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    int update(String sql, Object... params) throws SQLException {
        try (Connection c = db.dataSource().getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
            bind(s, params);
            return s.executeUpdate();
        }
    }

    private static void bind(PreparedStatement s, Object... params) throws SQLException {
        for (int i = 0; i < params.length; i++) {
            Object p = params[i];
            s.setObject(i + 1, p instanceof Instant t ? Timestamp.from(t) : p instanceof QueueId q ? q.value() : p);
        }
    }

    private static Instant instant(Timestamp t) {
        return t == null ? null : t.toInstant();
    }
}
