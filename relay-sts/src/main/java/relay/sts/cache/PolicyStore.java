package relay.sts.cache;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import relay.core.mail.Domain;
import relay.sts.policy.Policy;
import relay.sts.policy.PolicyParser;
import relay.sts.policy.PolicyResult;

/**
 * The MTA-STS policy cache in H2 (tables of {@link StsSchema}): one policy and one fetch failure
 * per policy domain; the clock is the caller's. Parse, then check: a policy is stored as its lines
 * and parsed again on load, so a row that no longer makes a valid policy (a parser made stricter,
 * a hand edit) is dropped rather than enforced. Database errors are local I/O: they throw
 * {@link IllegalStateException}.
 */
public final class PolicyStore {

    private static final Logger log = LoggerFactory.getLogger(PolicyStore.class);
    private static final String POLICY_COLUMNS = "domain, policy_id, fetched_at, expires_at, policy_text, last_used_at";

    /** Domains kept in memory at most; beyond, the memory starts afresh (the table stays whole). */
    static final int MEMORY_LIMIT = 10_000;

    private final DataSource dataSource;
    /**
     * What the table says of each domain asked recently (a policy, or none), so a delivery costs
     * neither a query nor a parse: every write below goes through it. One store per database.
     */
    private final java.util.concurrent.ConcurrentHashMap<Domain, Optional<CachedPolicy>> memory =
            new java.util.concurrent.ConcurrentHashMap<>();

    /** The schema must have been migrated ({@link StsSchema#migrate}). */
    public PolicyStore(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** The cached policy of {@code domain}, expired or not; empty when none or no longer valid. */
    public Optional<CachedPolicy> load(Domain domain) {
        Optional<CachedPolicy> known = memory.get(domain);
        if (known != null) {
            return known;
        }
        List<CachedPolicy> found = query("SELECT " + POLICY_COLUMNS + " FROM sts.policy WHERE domain = ?", domain.name());
        Optional<CachedPolicy> loaded = found.stream().findFirst();
        if (memory.size() >= MEMORY_LIMIT) {
            memory.clear();
        }
        memory.putIfAbsent(domain, loaded);
        return loaded;
    }

    /** Every cached policy that still parses, for the refresh and the policy view. */
    public List<CachedPolicy> all() {
        return query("SELECT " + POLICY_COLUMNS + " FROM sts.policy ORDER BY domain");
    }

    /**
     * Stores a newly fetched policy, replacing whatever was cached (RFC 8461 §3.3, STS-68: even a
     * weaker one), expiring {@code max_age} after {@code fetchedAt} (STS-34), and forgets the
     * domain's fetch failure.
     */
    public CachedPolicy save(Domain domain, String policyId, Policy policy, Instant fetched) {
        Instant fetchedAt = fetched.truncatedTo(ChronoUnit.MILLIS); // what the table keeps
        Instant expires = fetchedAt.plus(policy.maxAge().duration());
        String text = String.join("\n", policy.lines());
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            Instant lastUsed = fetchedAt;
            try (PreparedStatement up = c.prepareStatement("UPDATE sts.policy SET policy_id = ?, fetched_at = ?, "
                    + "expires_at = ?, policy_text = ? WHERE domain = ?")) {
                up.setString(1, policyId);
                up.setLong(2, fetchedAt.toEpochMilli());
                up.setLong(3, expires.toEpochMilli());
                up.setString(4, text);
                up.setString(5, domain.name());
                if (up.executeUpdate() == 0) {
                    try (PreparedStatement in = c.prepareStatement("INSERT INTO sts.policy (" + POLICY_COLUMNS
                            + ") VALUES (?, ?, ?, ?, ?, ?)")) {
                        in.setString(1, domain.name());
                        in.setString(2, policyId);
                        in.setLong(3, fetchedAt.toEpochMilli());
                        in.setLong(4, expires.toEpochMilli());
                        in.setString(5, text);
                        in.setLong(6, fetchedAt.toEpochMilli());
                        in.executeUpdate();
                    }
                } else {
                    lastUsed = load(c, domain).map(CachedPolicy::lastUsedAt).orElse(fetchedAt);
                }
            }
            update(c, "DELETE FROM sts.fetch_failure WHERE domain = ?", domain.name());
            c.commit();
            CachedPolicy saved = new CachedPolicy(domain, policyId, policy, fetchedAt, expires, lastUsed);
            memory.put(domain, Optional.of(saved));
            return saved;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot store the MTA-STS policy of " + domain, e);
        }
    }

    /** Notes that a delivery used the domain's policy (for {@code refreshDue}). */
    public void touch(Domain domain, Instant usedAt) {
        try (Connection c = dataSource.getConnection()) {
            update(c, "UPDATE sts.policy SET last_used_at = GREATEST(last_used_at, ?) WHERE domain = ?",
                    usedAt.toEpochMilli(), domain.name());
            Instant used = usedAt.truncatedTo(ChronoUnit.MILLIS);
            memory.computeIfPresent(domain, (d, known) -> known.map(p -> used.isAfter(p.lastUsedAt())
                    ? new CachedPolicy(p.domain(), p.policyId(), p.policy(), p.fetchedAt(), p.expiresAt(), used) : p));
        } catch (SQLException e) {
            throw new IllegalStateException("cannot update the MTA-STS policy of " + domain, e);
        }
    }

    /**
     * Forgets the domain's cached policy and its fetch failure (the operator's purge): the next
     * delivery discovers and fetches afresh, as for a domain never seen (RFC 8461 §3.3).
     *
     * @return true when a policy was cached
     */
    public boolean delete(Domain domain) {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            int policies;
            try (PreparedStatement s = c.prepareStatement("DELETE FROM sts.policy WHERE domain = ?")) {
                s.setString(1, domain.name());
                policies = s.executeUpdate();
            }
            update(c, "DELETE FROM sts.fetch_failure WHERE domain = ?", domain.name());
            c.commit();
            memory.remove(domain);
            return policies > 0;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot delete the MTA-STS policy of " + domain, e);
        }
    }

    /** The domain's last failed fetch, if the last fetch failed. */
    public Optional<FetchFailure> failure(Domain domain) {
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement(
                     "SELECT policy_id, failed_at, consecutive, reason FROM sts.fetch_failure WHERE domain = ?")) {
            s.setString(1, domain.name());
            try (ResultSet r = s.executeQuery()) {
                if (!r.next()) {
                    return Optional.empty();
                }
                return Optional.of(new FetchFailure(domain, r.getString(1), Instant.ofEpochMilli(r.getLong(2)),
                        r.getInt(3), r.getString(4)));
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the MTA-STS fetch state of " + domain, e);
        }
    }

    /** Records a failed fetch for {@code policyId} (RFC 8461 §3.3 back-off, STS-20). */
    public FetchFailure recordFailure(Domain domain, String policyId, Instant failedAt, String reason) {
        int consecutive = failure(domain).map(f -> f.consecutive() + 1).orElse(1);
        String shortReason = reason.length() > 2000 ? reason.substring(0, 2000) : reason;
        try (Connection c = dataSource.getConnection()) {
            update(c, "MERGE INTO sts.fetch_failure (domain, policy_id, failed_at, consecutive, reason) KEY (domain) "
                    + "VALUES (?, ?, ?, ?, ?)", domain.name(), policyId, failedAt.toEpochMilli(), consecutive, shortReason);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot record the MTA-STS fetch failure of " + domain, e);
        }
        return new FetchFailure(domain, policyId, failedAt, consecutive, shortReason);
    }

    private List<CachedPolicy> query(String sql, Object... args) {
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                s.setObject(i + 1, args[i]);
            }
            List<CachedPolicy> out = new ArrayList<>();
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    read(r).ifPresent(out::add);
                }
            }
            return out;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read MTA-STS policies", e);
        }
    }

    private Optional<CachedPolicy> load(Connection c, Domain domain) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT " + POLICY_COLUMNS + " FROM sts.policy WHERE domain = ?")) {
            s.setString(1, domain.name());
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? read(r) : Optional.empty();
            }
        }
    }

    /** Parse, then check: the stored lines must still make a valid policy, else the row is ignored. */
    private static Optional<CachedPolicy> read(ResultSet r) throws SQLException {
        Domain domain = new Domain(r.getString(1));
        String text = r.getString(5);
        PolicyResult parsed = PolicyParser.parse(text.getBytes(StandardCharsets.UTF_8));
        if (parsed instanceof PolicyResult.Rejected rejected) {
            log.warn("ignoring the cached MTA-STS policy of {}: no longer valid: {}", domain, rejected.describe());
            return Optional.empty();
        }
        Policy policy = ((PolicyResult.Parsed) parsed).policy();
        Instant fetched = Instant.ofEpochMilli(r.getLong(3));
        // never trust a stored expiry beyond what the policy's own max_age allows (STS-34)
        Instant expires = Instant.ofEpochMilli(Math.min(r.getLong(4), fetched.plus(policy.maxAge().duration()).toEpochMilli()));
        return Optional.of(new CachedPolicy(domain, r.getString(2), policy, fetched, expires,
                Instant.ofEpochMilli(r.getLong(6))));
    }

    private static void update(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                s.setObject(i + 1, args[i]);
            }
            s.executeUpdate();
        }
    }
}
