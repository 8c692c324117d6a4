package relay.sts.report.publish;

import java.net.URI;
import java.sql.Connection;
import java.sql.Date;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLIntegrityConstraintViolationException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import relay.core.mail.Domain;

/**
 * What was published (tables {@code tlsrpt_report} and {@code tlsrpt_delivery} of
 * {@link relay.sts.cache.StsSchema}): a report per policy domain and UTC day, created at most
 * once whatever the number of workers and restarts (the primary key decides), and its delivery
 * to each rua with attempts, back-off and a lease so that two workers never try the same rua at
 * the same time. Database errors throw {@link IllegalStateException}.
 */
public final class ReportLedger {

    private final DataSource dataSource;

    public ReportLedger(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** Whether the report of {@code domain} for {@code day} was already created (or ruled out). */
    public boolean exists(Domain domain, LocalDate day) {
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(
                "SELECT 1 FROM sts.tlsrpt_report WHERE domain = ? AND report_day = ?")) {
            s.setString(1, domain.name());
            s.setDate(2, Date.valueOf(day));
            try (ResultSet r = s.executeQuery()) {
                return r.next();
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the TLSRPT ledger", e);
        }
    }

    /**
     * Creates the report and one pending delivery per rua, due at once; false when another
     * worker (or an earlier run) created it first. With no rua, {@code outcome} says why nothing
     * is sent and the day is closed for the domain.
     */
    public boolean create(Domain domain, LocalDate day, String reportId, byte[] reportGz, List<URI> ruas, String outcome,
            Instant now) {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement in = c.prepareStatement("INSERT INTO sts.tlsrpt_report (domain, report_day, report_id, "
                    + "created_at, outcome, report_gz) VALUES (?, ?, ?, ?, ?, ?)")) {
                in.setString(1, domain.name());
                in.setDate(2, Date.valueOf(day));
                in.setString(3, reportId);
                in.setLong(4, now.toEpochMilli());
                in.setString(5, outcome.length() > 200 ? outcome.substring(0, 200) : outcome);
                if (reportGz == null) {
                    in.setNull(6, Types.BLOB);
                } else {
                    in.setBytes(6, reportGz);
                }
                in.executeUpdate();
            } catch (SQLIntegrityConstraintViolationException e) {
                c.rollback();
                return false;
            }
            try (PreparedStatement in = c.prepareStatement("INSERT INTO sts.tlsrpt_delivery (domain, report_day, rua, "
                    + "attempts, next_attempt_at, state) VALUES (?, ?, ?, 0, ?, 'pending')")) {
                for (URI rua : ruas) {
                    in.setString(1, domain.name());
                    in.setDate(2, Date.valueOf(day));
                    in.setString(3, rua.toString());
                    in.setLong(4, now.toEpochMilli());
                    in.addBatch();
                }
                in.executeBatch();
            }
            c.commit();
            return true;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create the TLSRPT report of " + domain + " for " + day, e);
        }
    }

    /**
     * Claims up to {@code max} pending deliveries that are due at {@code now}, each for
     * {@code lease}: a claim moves {@code next_attempt_at} forward only if nobody else did.
     */
    public List<Delivery> claimDue(Instant now, Duration lease, int max) {
        List<Delivery> candidates = new ArrayList<>();
        Instant until = now.plus(lease);
        try (Connection c = dataSource.getConnection()) {
            try (PreparedStatement s = c.prepareStatement("SELECT d.domain, d.report_day, d.rua, r.report_id, r.report_gz, "
                    + "d.attempts, d.first_attempt_at, d.next_attempt_at FROM sts.tlsrpt_delivery d JOIN sts.tlsrpt_report r "
                    + "ON r.domain = d.domain AND r.report_day = d.report_day "
                    + "WHERE d.state = 'pending' AND d.next_attempt_at <= ? ORDER BY d.next_attempt_at LIMIT ?")) {
                s.setLong(1, now.toEpochMilli());
                s.setInt(2, max);
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        long first = r.getLong(7);
                        Optional<Instant> firstAt = r.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(first));
                        Delivery d = new Delivery(new Domain(r.getString(1)), r.getDate(2).toLocalDate(),
                                URI.create(r.getString(3)), r.getString(4), r.getBytes(5), r.getInt(6), firstAt, until);
                        if (claim(c, d, r.getLong(8), until)) {
                            candidates.add(d);
                        }
                    }
                }
            }
            return candidates;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read due TLSRPT deliveries", e);
        }
    }

    private static boolean claim(Connection c, Delivery d, long seenNext, Instant until) throws SQLException {
        try (PreparedStatement up = c.prepareStatement("UPDATE sts.tlsrpt_delivery SET next_attempt_at = ? "
                + "WHERE domain = ? AND report_day = ? AND rua = ? AND state = 'pending' AND next_attempt_at = ?")) {
            up.setLong(1, until.toEpochMilli());
            up.setString(2, d.domain().name());
            up.setDate(3, Date.valueOf(d.day()));
            up.setString(4, d.rua().toString());
            up.setLong(5, seenNext);
            return up.executeUpdate() == 1;
        }
    }

    /** The attempt delivered the report to this rua. */
    public void delivered(Delivery d, Instant now) {
        finish(d, "delivered", now, null, now);
    }

    /**
     * The attempt failed: try again at {@code next}, or give up for good when {@code next} is
     * empty (RPT-48: 24 h after the first attempt).
     */
    public void failed(Delivery d, Instant now, Optional<Instant> next, String error) {
        String e = error.length() > 1000 ? error.substring(0, 1000) : error;
        finish(d, next.isPresent() ? "pending" : "undelivered", now, e, next.orElse(now));
    }

    private void finish(Delivery d, String state, Instant now, String error, Instant next) {
        try (Connection c = dataSource.getConnection(); PreparedStatement up = c.prepareStatement(
                "UPDATE sts.tlsrpt_delivery SET state = ?, attempts = attempts + 1, "
                        + "first_attempt_at = COALESCE(first_attempt_at, ?), next_attempt_at = ?, last_error = ? "
                        + "WHERE domain = ? AND report_day = ? AND rua = ? AND next_attempt_at = ?")) {
            up.setString(1, state);
            up.setLong(2, now.toEpochMilli());
            up.setLong(3, next.toEpochMilli());
            up.setString(4, error);
            up.setString(5, d.domain().name());
            up.setDate(6, Date.valueOf(d.day()));
            up.setString(7, d.rua().toString());
            up.setLong(8, d.leaseUntil().toEpochMilli());
            up.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot record a TLSRPT delivery to " + d.rua(), e);
        }
    }

    /** Forgets the reports of days before {@code day} and their deliveries; returns the reports removed. */
    public int deleteBefore(LocalDate day) {
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(
                "DELETE FROM sts.tlsrpt_report WHERE report_day < ?")) {
            s.setDate(1, Date.valueOf(day));
            return s.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot delete old TLSRPT reports", e);
        }
    }

    /** For the admin view and tests: rua → state, attempts, last error. */
    public List<String> describe(Domain domain, LocalDate day) {
        List<String> out = new ArrayList<>();
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(
                "SELECT rua, state, attempts, last_error FROM sts.tlsrpt_delivery WHERE domain = ? AND report_day = ? "
                        + "ORDER BY rua")) {
            s.setString(1, domain.name());
            s.setDate(2, Date.valueOf(day));
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    out.add(r.getString(1) + " " + r.getString(2) + " attempts=" + r.getInt(3)
                            + (r.getString(4) == null ? "" : " error=" + r.getString(4)));
                }
            }
            return out;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the TLSRPT ledger", e);
        }
    }

    /** Why nothing or what was sent for the day ('sending', or the reason), if the day was handled. */
    public Optional<String> outcome(Domain domain, LocalDate day) {
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(
                "SELECT outcome FROM sts.tlsrpt_report WHERE domain = ? AND report_day = ?")) {
            s.setString(1, domain.name());
            s.setDate(2, Date.valueOf(day));
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? Optional.of(r.getString(1)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the TLSRPT ledger", e);
        }
    }
}
