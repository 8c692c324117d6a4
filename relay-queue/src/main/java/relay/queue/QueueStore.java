package relay.queue;

import jakarta.mail.MessagingException;
import java.io.IOException;
import java.io.InputStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.random.RandomGenerator;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import relay.core.delivery.DeliveryRequest;
import relay.core.delivery.Outcome;
import relay.core.delivery.RecipientOutcome;
import relay.core.mail.Domain;
import relay.core.mail.Envelope;
import relay.core.mail.MailAddress;
import relay.core.mail.QueueId;

/**
 * The queue's state machine over the spool tables. Recipients move QUEUED or DEFERRED →
 * DELIVERING (leased) → DELIVERED, DEFERRED or BOUNCED. A lease that runs out makes the
 * recipients due again, so a dead worker strands nothing; the claim re-checks the state in its
 * UPDATE, so two claimers never lease the same recipient.
 */
public final class QueueStore {

    private static final Logger LOG = LoggerFactory.getLogger("relay.queue");
    private static final String DUE = "((state IN ('QUEUED', 'DEFERRED') AND next_attempt_at <= ?)"
            + " OR (state = 'DELIVERING' AND lease_until <= ?))";

    private final DataSource dataSource;
    private final Clock clock;
    private final QueueSettings settings;
    private final RetrySchedule retry;
    private final DsnWriter dsn;
    private final RandomGenerator random;
    private final QueueEvents events;

    public QueueStore(DataSource dataSource, Clock clock, QueueSettings settings, RandomGenerator random) {
        this(dataSource, clock, settings, random, QueueEvents.none());
    }

    /** @param events told of every recipient's outcome once it is committed (metrics) */
    public QueueStore(DataSource dataSource, Clock clock, QueueSettings settings, RandomGenerator random,
            QueueEvents events) {
        this.events = events;
        this.dataSource = dataSource;
        this.clock = clock;
        this.settings = settings;
        this.random = random;
        this.retry = new RetrySchedule(settings.firstRetry(), settings.maxRetry(), random);
        this.dsn = new DsnWriter(settings.reportingMta());
    }

    /** Rows read per wanted group: a message with many recipients at one domain fills several. */
    private static final int ROWS_PER_GROUP = 4;

    /**
     * Leases up to {@code max} due (message, domain) groups, oldest due first. Each kind of due
     * row is one range of the {@code recipient_due} index, read in due order and only as far as
     * needed, so a claim costs the same with ten messages queued or a million.
     */
    public List<Claim> claimDue(int max, String owner) throws SQLException {
        Instant now = clock.instant();
        Timestamp ts = Timestamp.from(now);
        try (Connection c = dataSource.getConnection()) {
            List<DueRow> due = new ArrayList<>();
            int rows = max * ROWS_PER_GROUP;
            due.addAll(dueRows(c, "SELECT message_id, domain, next_attempt_at FROM recipient WHERE state = 'QUEUED'"
                    + " AND next_attempt_at <= ? ORDER BY state, next_attempt_at FETCH FIRST ? ROWS ONLY", ts, rows));
            due.addAll(dueRows(c, "SELECT message_id, domain, next_attempt_at FROM recipient WHERE state = 'DEFERRED'"
                    + " AND next_attempt_at <= ? ORDER BY state, next_attempt_at FETCH FIRST ? ROWS ONLY", ts, rows));
            // a lease that ran out: its worker is presumed dead
            due.addAll(dueRows(c, "SELECT message_id, domain, lease_until FROM recipient WHERE state = 'DELIVERING'"
                    + " AND lease_until <= ? FETCH FIRST ? ROWS ONLY", ts, rows));
            due.sort(java.util.Comparator.comparing(DueRow::due));
            java.util.LinkedHashSet<Claim> candidates = new java.util.LinkedHashSet<>();
            for (DueRow d : due) {
                if (candidates.size() == max) {
                    break;
                }
                candidates.add(new Claim(new QueueId(d.id()), new Domain(d.domain()), owner));
            }
            List<Claim> claimed = new ArrayList<>();
            try (PreparedStatement u = c.prepareStatement("UPDATE recipient SET state = 'DELIVERING', lease_owner = ?,"
                    + " lease_until = ? WHERE message_id = ? AND domain = ? AND " + DUE)) {
                for (Claim claim : candidates) {
                    u.setString(1, owner);
                    u.setTimestamp(2, Timestamp.from(now.plus(settings.lease())));
                    u.setString(3, claim.id().value());
                    u.setString(4, claim.domain().name());
                    u.setTimestamp(5, ts);
                    u.setTimestamp(6, ts);
                    if (u.executeUpdate() > 0) {
                        claimed.add(claim);
                    }
                }
            }
            return claimed;
        }
    }

    private record DueRow(String id, String domain, Instant due) {
    }

    private static List<DueRow> dueRows(Connection c, String sql, Timestamp now, int limit) throws SQLException {
        List<DueRow> out = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setTimestamp(1, now);
            s.setInt(2, limit);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    out.add(new DueRow(rs.getString(1), rs.getString(2), rs.getTimestamp(3).toInstant()));
                }
            }
        }
        return out;
    }

    /** The attempt a claim stands for: the message, its envelope, the leased recipients. */
    public Optional<DeliveryRequest> load(Claim claim) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            List<MailAddress> all = new ArrayList<>();
            List<MailAddress> leased = new ArrayList<>();
            int attempt = 1;
            try (PreparedStatement s = c.prepareStatement("SELECT address, domain, state, lease_owner, attempts"
                    + " FROM recipient WHERE message_id = ? ORDER BY seq")) {
                s.setString(1, claim.id().value());
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        MailAddress a = MailAddress.parse(rs.getString(1), true);
                        all.add(a);
                        if (rs.getString(2).equals(claim.domain().name()) && "DELIVERING".equals(rs.getString(3))
                                && claim.owner().equals(rs.getString(4))) {
                            leased.add(a);
                            attempt = Math.max(attempt, rs.getInt(5) + 1);
                        }
                    }
                }
            }
            if (leased.isEmpty()) {
                return Optional.empty();
            }
            try (PreparedStatement s = c.prepareStatement("SELECT sender, smtputf8, eightbit, OCTET_LENGTH(body), expires_at,"
                    + " tls_optional FROM message WHERE id = ?")) {
                s.setString(1, claim.id().value());
                try (ResultSet rs = s.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.empty();
                    }
                    Optional<MailAddress> sender = Optional.ofNullable(rs.getString(1)).map(x -> MailAddress.parse(x, true));
                    Envelope envelope = new Envelope(sender, all, rs.getBoolean(2), rs.getBoolean(3), rs.getBoolean(6));
                    // the lifetime is over: a deferral now is a bounce, so the agent re-checks first
                    boolean last = !clock.instant().isBefore(rs.getTimestamp(5).toInstant());
                    return Optional.of(new DeliveryRequest(claim.id(), envelope, claim.domain(), leased,
                            new StoredMessage(dataSource, claim.id(), rs.getLong(4)), attempt, last));
                }
            }
        }
    }

    /**
     * Records the outcomes of one attempt. A deferral past the queue lifetime becomes a bounce;
     * a recipient the agent gave no outcome for is deferred. Bounced recipients get a DSN to
     * the sender (never to the null sender, RFC 5321 §6.1), and a message whose recipients are
     * all final is deleted with its body.
     */
    public void apply(Claim claim, List<RecipientOutcome> outcomes) throws SQLException {
        Instant now = clock.instant();
        Map<String, Outcome> byAddress = byAddress(outcomes);
        List<String> states = new ArrayList<>();
        Instant arrival = Transactions.run(dataSource, c -> {
            Instant[] times = arrivalAndExpiry(c, claim.id());
            Instant expires = times[1];
            List<LeasedRow> rows = leasedRows(c, claim);
            // One retry time for the whole (message, domain) group, not one jitter draw per
            // recipient: per-recipient times split the group, so each retry went out as a
            // separate transaction per recipient, and a recipient coming due while its
            // group-mate's attempt ran was claimed into a second, concurrent attempt that
            // also carried the group-mate.
            int failures = rows.stream().mapToInt(LeasedRow::attempts).max().orElse(0) + 1;
            Instant retryAt = retry.next(failures, now, expires);
            for (LeasedRow row : rows) {
                Outcome o = byAddress.getOrDefault(row.address(), new Outcome.Deferred("4.3.0",
                        "internal error: no outcome for this recipient", Optional.empty()));
                states.add(record(c, claim.id(), row, o, now, expires, retryAt));
            }
            notifyAndFinish(c, claim.id(), now);
            return times[0];
        });
        tell(states, Duration.between(arrival, now));
    }

    /** Each recipient's outcome, by address as the spool writes it. */
    private static Map<String, Outcome> byAddress(List<RecipientOutcome> outcomes) {
        Map<String, Outcome> byAddress = new HashMap<>();
        for (RecipientOutcome o : outcomes) {
            byAddress.put(o.recipient().toString(), o.outcome());
        }
        return byAddress;
    }

    /**
     * Records the outcomes of a message's first attempt made straight after its hand-off. The
     * common case, every recipient of a single-domain message delivered, is one transaction: the
     * message is deleted with its recipients, whose rows nothing else reads. Anything else
     * (a deferral, a bounce, a message with several domains) is recorded as {@link #apply} does.
     */
    void applyFresh(FreshAttempt fresh, List<RecipientOutcome> outcomes) throws SQLException {
        Map<String, Outcome> byAddress = byAddress(outcomes);
        List<String> addresses = fresh.request().recipients().stream().map(MailAddress::toString).toList();
        boolean allDelivered = addresses.stream().allMatch(a -> byAddress.get(a) instanceof Outcome.Delivered);
        if (!fresh.wholeMessage() || !allDelivered) {
            apply(fresh.claim(), outcomes);
            return;
        }
        Instant now = clock.instant();
        Transactions.run(dataSource, c -> {
            delete(c, fresh.claim().id());
            return null;
        });
        List<String> states = new ArrayList<>();
        for (String address : addresses) {
            Outcome o = byAddress.get(address);
            logOutcome(fresh.claim().id(), address, 1, "DELIVERED", o.status(), o.remoteMta(), o.diagnostic());
            states.add("DELIVERED");
        }
        tell(states, Duration.between(fresh.arrival(), now));
    }

    /** Tells the observer what was committed; an observer's bug never fails the attempt. */
    private void tell(List<String> states, Duration sinceArrival) {
        for (String state : states) {
            try {
                switch (state) {
                    case "DELIVERED" -> events.delivered(sinceArrival);
                    case "BOUNCED" -> events.bounced(sinceArrival);
                    default -> events.deferred(sinceArrival);
                }
            } catch (RuntimeException e) {
                LOG.warn("queue observer failed: {}", e.toString());
            }
        }
    }

    private record LeasedRow(int seq, String address, int attempts) {
    }

    private static List<LeasedRow> leasedRows(Connection c, Claim claim) throws SQLException {
        List<LeasedRow> rows = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement("SELECT seq, address, attempts FROM recipient"
                + " WHERE message_id = ? AND domain = ? AND state = 'DELIVERING' AND lease_owner = ?")) {
            s.setString(1, claim.id().value());
            s.setString(2, claim.domain().name());
            s.setString(3, claim.owner());
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    rows.add(new LeasedRow(rs.getInt(1), rs.getString(2), rs.getInt(3)));
                }
            }
        }
        return rows;
    }

    /**
     * The message's arrival and expiry times, in that order. Locks the message row until the
     * caller's transaction ends, so two attempts at different domains of one message record one
     * after the other: each then sees the other's outcomes, and the last one deletes the message.
     */
    private static Instant[] arrivalAndExpiry(Connection c, QueueId id) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT received_at, expires_at FROM message WHERE id = ? FOR UPDATE")) {
            s.setString(1, id.value());
            try (ResultSet rs = s.executeQuery()) {
                if (!rs.next()) {
                    throw new SQLException("message " + id + " vanished while leased");
                }
                return new Instant[] {rs.getTimestamp(1).toInstant(), rs.getTimestamp(2).toInstant()};
            }
        }
    }

    /** Writes one recipient's outcome; returns the state it is now in. */
    private String record(Connection c, QueueId id, LeasedRow row, Outcome o, Instant now, Instant expires,
            Instant retryAt) throws SQLException {
        String state;
        Instant next = now;
        String status = o.status();
        String diagnostic = o.diagnostic();
        if (o instanceof Outcome.Delivered) {
            state = "DELIVERED";
        } else if (o instanceof Outcome.Bounced) {
            state = "BOUNCED";
        } else if (!now.isBefore(expires) && holdsForPolicyCheck(o, now, expires)) {
            // RFC 8461 §5.1 (STS-61): nobody could tell whether the policy changed; not yet
            state = "DEFERRED";
            next = now.plus(retry.delayAfter(row.attempts() + 1));
        } else if (!now.isBefore(expires)) {
            // RFC 5321 §4.5.4.1: give up after the queue lifetime, and say so; RFC 3464 §2.3.4:
            // a failed action carries a permanent status (4.7.5 deferred becomes 5.7.5 failed)
            state = "BOUNCED";
            status = "5" + status.substring(1);
            diagnostic = diagnostic + " (gave up after " + human(settings.lifetime()) + " in the queue)";
        } else {
            state = "DEFERRED";
            next = retryAt;
        }
        try (PreparedStatement u = c.prepareStatement("UPDATE recipient SET state = ?, attempts = attempts + 1,"
                + " next_attempt_at = ?, lease_owner = NULL, lease_until = NULL, last_status = ?, last_diagnostic = ?,"
                + " remote_mta = ? WHERE message_id = ? AND seq = ?")) {
            u.setString(1, state);
            u.setTimestamp(2, Timestamp.from(next));
            u.setString(3, status);
            u.setString(4, truncate(diagnostic, 1000));
            u.setString(5, o.remoteMta().map(m -> truncate(m, 255)).orElse(null));
            u.setString(6, id.value());
            u.setInt(7, row.seq());
            u.executeUpdate();
        }
        logOutcome(id, row.address(), row.attempts() + 1, state, status, o.remoteMta(), diagnostic);
        return state;
    }

    /** The one log line per recipient and attempt. */
    private static void logOutcome(QueueId id, String address, int attempt, String state, String status,
            Optional<String> remoteMta, String diagnostic) {
        LOG.info("delivery id={} to=<{}> attempt={} state={} status={} mta={} detail=\"{}\"", id, address, attempt,
                state.toLowerCase(java.util.Locale.ROOT), status, remoteMta.orElse("-"), truncate(diagnostic, 300));
    }

    /**
     * A policy failure whose re-check could not be made waits past the lifetime, but at most
     * {@link #POLICY_CHECK_GRACE}: a resolver down for a day is a broken relay, and the sender
     * deserves an answer.
     */
    private static boolean holdsForPolicyCheck(Outcome o, Instant now, Instant expires) {
        return o instanceof Outcome.Deferred d && d.expiry() == Outcome.Expiry.AWAIT_POLICY_CHECK
                && now.isBefore(expires.plus(POLICY_CHECK_GRACE));
    }

    /** How long past the lifetime a message waits for an RFC 8461 §5.1 re-check that DNS cannot answer. */
    public static final Duration POLICY_CHECK_GRACE = Duration.ofDays(1);

    private void notifyAndFinish(Connection c, QueueId id, Instant now) throws SQLException {
        List<DsnWriter.Failure> failures = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement("SELECT address, last_status, last_diagnostic, remote_mta"
                + " FROM recipient WHERE message_id = ? AND state = 'BOUNCED' AND NOT notified ORDER BY seq")) {
            s.setString(1, id.value());
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    failures.add(new DsnWriter.Failure(MailAddress.parse(rs.getString(1), true), rs.getString(2),
                            rs.getString(3), Optional.ofNullable(rs.getString(4)), now));
                }
            }
        }
        if (!failures.isEmpty()) {
            queueDsn(c, id, failures, now);
            try (PreparedStatement u = c.prepareStatement(
                    "UPDATE recipient SET notified = TRUE WHERE message_id = ? AND state = 'BOUNCED'")) {
                u.setString(1, id.value());
                u.executeUpdate();
            }
        }
        try (PreparedStatement s = c.prepareStatement("SELECT 1 FROM recipient WHERE message_id = ?"
                + " AND state NOT IN ('DELIVERED', 'BOUNCED') FETCH FIRST 1 ROWS ONLY")) {
            s.setString(1, id.value());
            try (ResultSet rs = s.executeQuery()) {
                if (rs.next()) {
                    return;
                }
            }
        }
        delete(c, id);
    }

    /**
     * Deletes a message and its recipients in the caller's transaction: the recipients first, as
     * the foreign key wants (it does not cascade, see {@link V3__RecipientKeyWithoutCascade}).
     */
    static void delete(Connection c, QueueId id) throws SQLException {
        try (PreparedStatement r = c.prepareStatement("DELETE FROM recipient WHERE message_id = ?");
             PreparedStatement m = c.prepareStatement("DELETE FROM message WHERE id = ?")) {
            r.setString(1, id.value());
            r.executeUpdate();
            m.setString(1, id.value());
            m.executeUpdate();
        }
    }

    private void queueDsn(Connection c, QueueId id, List<DsnWriter.Failure> failures, Instant now) throws SQLException {
        Optional<MailAddress> sender;
        Instant arrival;
        byte[] headers;
        try (PreparedStatement s = c.prepareStatement("SELECT sender, received_at, body FROM message WHERE id = ?")) {
            s.setString(1, id.value());
            try (ResultSet rs = s.executeQuery()) {
                if (!rs.next()) {
                    return;
                }
                sender = Optional.ofNullable(rs.getString(1)).map(x -> MailAddress.parse(x, true));
                arrival = rs.getTimestamp(2).toInstant();
                try (InputStream body = rs.getBinaryStream(3)) {
                    headers = DsnWriter.headerSection(body);
                }
            }
        } catch (IOException e) {
            throw new SQLException("cannot read the headers of " + id + " for its DSN", e);
        }
        if (sender.isEmpty()) {
            // RFC 5321 §6.1 / RFC 3464 §2: never a report about a message from the null sender
            LOG.info("dsn id={} not sent: null sender; {} recipient(s) bounced", id, failures.size());
            return;
        }
        try {
            byte[] report = dsn.failed(id, sender.get(), arrival, failures, headers, now);
            QueueId dsnId = QueueId.generate(now, random);
            Envelope envelope = new Envelope(Optional.empty(), List.of(sender.get()), sender.get().needsSmtpUtf8(), false);
            MessageWriter.insert(c, dsnId, envelope, report, now, now.plus(settings.lifetime()));
            LOG.info("dsn id={} queued as {} to=<{}> recipients={}", id, dsnId, sender.get(), failures.size());
        } catch (MessagingException | IOException e) {
            throw new SQLException("cannot build the DSN for " + id, e);
        }
    }

    /**
     * Makes every leased recipient due now. Safe at start-up: H2's file lock means no other
     * process can hold a lease, so every lease found belongs to a previous run.
     */
    public int releaseLeases(Optional<String> owner) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement u = c.prepareStatement("UPDATE recipient SET state = CASE WHEN attempts = 0 THEN 'QUEUED'"
                     + " ELSE 'DEFERRED' END, lease_owner = NULL, lease_until = NULL, next_attempt_at = ?"
                     + " WHERE state = 'DELIVERING'" + (owner.isPresent() ? " AND lease_owner = ?" : ""))) {
            u.setTimestamp(1, Timestamp.from(clock.instant()));
            if (owner.isPresent()) {
                u.setString(2, owner.get());
            }
            return u.executeUpdate();
        }
    }

    /** Messages in the spool and the arrival time of the oldest. */
    public QueueDepth depth() throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement("SELECT COUNT(*), MIN(received_at) FROM message");
             ResultSet rs = s.executeQuery()) {
            rs.next();
            Timestamp oldest = rs.getTimestamp(2);
            return new QueueDepth(rs.getLong(1), Optional.ofNullable(oldest).map(Timestamp::toInstant));
        }
    }

    /** How many messages wait and since when. */
    public record QueueDepth(long messages, Optional<Instant> oldest) {
        public Duration oldestAge(Instant now) {
            return oldest.map(o -> Duration.between(o, now)).orElse(Duration.ZERO);
        }
    }

    /** One recipient of a queued message, as views and the operator see it. */
    public record RecipientView(String address, String state, int attempts, Instant nextAttemptAt,
            Optional<String> lastStatus, Optional<String> lastDiagnostic, Optional<String> remoteMta) {
    }

    /** The recipients of a message still in the spool, in envelope order; empty once it is gone. */
    public List<RecipientView> recipients(QueueId id) throws SQLException {
        List<RecipientView> out = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement("SELECT address, state, attempts, next_attempt_at, last_status,"
                     + " last_diagnostic, remote_mta FROM recipient WHERE message_id = ? ORDER BY seq")) {
            s.setString(1, id.value());
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    out.add(new RecipientView(rs.getString(1), rs.getString(2), rs.getInt(3),
                            rs.getTimestamp(4).toInstant(), Optional.ofNullable(rs.getString(5)),
                            Optional.ofNullable(rs.getString(6)), Optional.ofNullable(rs.getString(7))));
                }
            }
        }
        return out;
    }

    /** {@code 5 days}, {@code 12 hours}, {@code 30 minutes}: the queue lifetime as a DSN states it. */
    static String human(Duration d) {
        if (d.toDays() > 0 && d.toHours() % 24 == 0) {
            return d.toDays() + (d.toDays() == 1 ? " day" : " days");
        }
        if (d.toHours() > 0 && d.toMinutes() % 60 == 0) {
            return d.toHours() + (d.toHours() == 1 ? " hour" : " hours");
        }
        long minutes = Math.max(1, d.toMinutes());
        return minutes + (minutes == 1 ? " minute" : " minutes");
    }

    private static String truncate(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max);
    }
}
