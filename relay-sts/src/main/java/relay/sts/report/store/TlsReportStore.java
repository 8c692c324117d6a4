package relay.sts.report.store;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.Date;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;
import relay.core.mail.Domain;
import relay.core.policy.ReportedPolicy;
import relay.core.report.TlsResultType;
import relay.sts.report.FailureDetail;
import relay.sts.report.PolicyResults;

/**
 * The TLSRPT aggregates in H2 (tables {@code tlsrpt_policy} and {@code tlsrpt_failure} of
 * {@link relay.sts.cache.StsSchema}): counters per policy domain, UTC day, policy and failure
 * detail. Database errors are local I/O: they throw {@link IllegalStateException}.
 */
public final class TlsReportStore {

    private final DataSource dataSource;

    /** The schema must have been migrated ({@link relay.sts.cache.StsSchema#migrate}). */
    public TlsReportStore(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** Adds a tally's counts to the stored counters, all in one transaction. */
    void add(Tally tally) {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                for (Map.Entry<Tally.PolicySlot, Tally.Counts> e : tally.policies().entrySet()) {
                    addPolicy(c, e.getKey(), e.getValue());
                }
                for (Map.Entry<Tally.DetailSlot, Long> e : tally.details().entrySet()) {
                    addDetail(c, e.getKey(), e.getValue());
                }
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot store TLSRPT counts", e);
        }
    }

    /** The policy domains with counts for {@code day}, in name order. */
    public List<Domain> domains(LocalDate day) {
        List<Domain> out = new ArrayList<>();
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(
                "SELECT DISTINCT domain FROM sts.tlsrpt_policy WHERE report_day = ? ORDER BY domain")) {
            s.setDate(1, Date.valueOf(day));
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    out.add(new Domain(r.getString(1)));
                }
            }
            return out;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read TLSRPT domains of " + day, e);
        }
    }

    /** Everything counted for {@code domain} on {@code day}, one element per policy. */
    public List<PolicyResults> results(Domain domain, LocalDate day) {
        try (Connection c = dataSource.getConnection()) {
            Map<String, PolicyResults> byKey = policies(c, domain, day);
            Map<String, List<FailureDetail>> details = details(c, domain, day);
            List<PolicyResults> out = new ArrayList<>();
            byKey.forEach((key, p) -> out.add(new PolicyResults(p.policyDomain(), p.day(), p.policy(), p.successes(),
                    p.failures(), details.getOrDefault(key, List.of()))));
            return out;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read TLSRPT counts of " + domain + " for " + day, e);
        }
    }

    /** Drops the counts of days before {@code day} (retention); returns the policy rows removed. */
    public int deleteBefore(LocalDate day) {
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(
                "DELETE FROM sts.tlsrpt_policy WHERE report_day < ?")) {
            s.setDate(1, Date.valueOf(day));
            return s.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot delete old TLSRPT counts", e);
        }
    }

    private static void addPolicy(Connection c, Tally.PolicySlot slot, Tally.Counts n) throws SQLException {
        String key = policyKey(slot.policy());
        try (PreparedStatement up = c.prepareStatement("UPDATE sts.tlsrpt_policy SET success_count = success_count + ?, "
                + "failure_count = failure_count + ? WHERE domain = ? AND report_day = ? AND policy_key = ?")) {
            set(up, n.successes, n.failures, slot.domain().name(), Date.valueOf(slot.day()), key);
            if (up.executeUpdate() > 0) {
                return;
            }
        }
        ReportedPolicy p = slot.policy();
        try (PreparedStatement in = c.prepareStatement("INSERT INTO sts.tlsrpt_policy (domain, report_day, policy_key, "
                + "policy_type, policy_id, policy_string, mx_host, success_count, failure_count) "
                + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            set(in, slot.domain().name(), Date.valueOf(slot.day()), key, p.type().token(),
                    p.policyId() == null ? "" : p.policyId(), String.join("\n", p.policyString()),
                    String.join("\n", p.mxHost()), n.successes, n.failures);
            in.executeUpdate();
        }
    }

    private static void addDetail(Connection c, Tally.DetailSlot slot, long n) throws SQLException {
        FailureDetail d = slot.detail();
        Tally.PolicySlot p = slot.policy();
        List<String> columns = List.of(d.resultType().token(), text(d.sendingMtaIp(), 45), text(d.receivingMxHostname(), 255),
                text(d.receivingMxHelo(), 255), text(d.receivingIp(), 45), text(d.additionalInformation(), 1000));
        String detailKey = sha256(String.join("\0", columns));
        try (PreparedStatement up = c.prepareStatement("UPDATE sts.tlsrpt_failure SET session_count = session_count + ? "
                + "WHERE domain = ? AND report_day = ? AND policy_key = ? AND detail_key = ?")) {
            set(up, n, p.domain().name(), Date.valueOf(p.day()), policyKey(p.policy()), detailKey);
            if (up.executeUpdate() > 0) {
                return;
            }
        }
        try (PreparedStatement in = c.prepareStatement("INSERT INTO sts.tlsrpt_failure (domain, report_day, policy_key, "
                + "detail_key, result_type, sending_ip, mx_host, mx_helo, receiving_ip, additional_info, session_count) "
                + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            List<Object> args = new ArrayList<>(List.of(p.domain().name(), Date.valueOf(p.day()), policyKey(p.policy()),
                    detailKey));
            args.addAll(columns);
            args.add(n);
            set(in, args.toArray());
            in.executeUpdate();
        }
    }

    private static Map<String, PolicyResults> policies(Connection c, Domain domain, LocalDate day) throws SQLException {
        Map<String, PolicyResults> out = new LinkedHashMap<>();
        try (PreparedStatement s = c.prepareStatement("SELECT policy_key, policy_type, policy_id, policy_string, mx_host, "
                + "success_count, failure_count FROM sts.tlsrpt_policy WHERE domain = ? AND report_day = ? "
                + "ORDER BY policy_type, policy_key")) {
            set(s, domain.name(), Date.valueOf(day));
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    ReportedPolicy.Type type = ReportedPolicy.Type.valueOf(
                            r.getString(2).toUpperCase(Locale.ROOT).replace('-', '_'));
                    ReportedPolicy policy = new ReportedPolicy(type, lines(r.getString(4)), lines(r.getString(5)),
                            r.getString(3));
                    out.put(r.getString(1), new PolicyResults(domain, day, policy, r.getLong(6), r.getLong(7), List.of()));
                }
            }
        }
        return out;
    }

    private static Map<String, List<FailureDetail>> details(Connection c, Domain domain, LocalDate day) throws SQLException {
        Map<String, List<FailureDetail>> out = new LinkedHashMap<>();
        try (PreparedStatement s = c.prepareStatement("SELECT policy_key, result_type, sending_ip, mx_host, mx_helo, "
                + "receiving_ip, additional_info, session_count FROM sts.tlsrpt_failure WHERE domain = ? AND report_day = ? "
                + "ORDER BY policy_key, result_type, mx_host, receiving_ip, detail_key")) {
            set(s, domain.name(), Date.valueOf(day));
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    out.computeIfAbsent(r.getString(1), k -> new ArrayList<>()).add(new FailureDetail(
                            TlsResultType.of(r.getString(2)), opt(r.getString(3)), opt(r.getString(4)),
                            opt(r.getString(5)), opt(r.getString(6)), opt(r.getString(7)), r.getLong(8)));
                }
            }
        }
        return out;
    }

    /** Tells policies apart by everything the report shows of them, and the TXT id. */
    static String policyKey(ReportedPolicy p) {
        return sha256(p.type().token() + "\0" + (p.policyId() == null ? "" : p.policyId()) + "\0"
                + String.join("\n", p.policyString()) + "\0" + String.join("\n", p.mxHost()));
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    private static String text(Optional<String> value, int max) {
        String v = value.orElse("");
        return v.length() > max ? v.substring(0, max) : v;
    }

    private static Optional<String> opt(String s) {
        return s == null || s.isEmpty() ? Optional.empty() : Optional.of(s);
    }

    private static List<String> lines(String joined) {
        return joined == null || joined.isEmpty() ? List.of() : List.of(joined.split("\n", -1));
    }

    private static void set(PreparedStatement s, Object... args) throws SQLException {
        for (int i = 0; i < args.length; i++) {
            s.setObject(i + 1, args[i]);
        }
    }
}
