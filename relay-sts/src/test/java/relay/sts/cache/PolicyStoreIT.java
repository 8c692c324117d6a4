package relay.sts.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import org.flywaydb.core.Flyway;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import relay.core.mail.Domain;
import relay.sts.policy.Policy;
import relay.sts.policy.PolicyParser;
import relay.sts.policy.PolicyResult;

/** The policy cache on an H2 file database: survives restarts, re-validates on load. */
class PolicyStoreIT {

    private static final Domain DOMAIN = Domain.parse("example.test");
    private static final Instant T0 = Instant.parse("2026-11-01T00:00:00Z");

    @TempDir
    Path dir;

    private JdbcDataSource open() {
        JdbcDataSource ds = new JdbcDataSource();
        ds.setURL("jdbc:h2:file:" + dir.resolve("relay") + ";DB_CLOSE_ON_EXIT=FALSE");
        StsSchema.migrate(ds);
        return ds;
    }

    private static void shutdown(JdbcDataSource ds) throws SQLException {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            s.execute("SHUTDOWN");
        }
    }

    static Policy policy(String text) {
        return ((PolicyResult.Parsed) PolicyParser.parse(text)).policy();
    }

    @Test
    void policySurvivesARestart() throws SQLException {
        JdbcDataSource ds = open();
        Policy p = policy("version: STSv1\nmode: enforce\nmx: mx1.example.test\nmx: *.example.net\nmax_age: 86400\n");
        new PolicyStore(ds).save(DOMAIN, "id1", p, T0);
        shutdown(ds);

        CachedPolicy loaded = new PolicyStore(open()).load(DOMAIN).orElseThrow();
        assertThat(loaded.policyId()).isEqualTo("id1");
        assertThat(loaded.policy()).isEqualTo(p);
        assertThat(loaded.fetchedAt()).isEqualTo(T0);
        // STS-34: valid until max_age after the fetch
        assertThat(loaded.expiresAt()).isEqualTo(T0.plusSeconds(86400));
        assertThat(loaded.validAt(T0.plusSeconds(86399))).isTrue();
        assertThat(loaded.validAt(T0.plusSeconds(86401))).isFalse();
    }

    /** The operator's purge: the policy and its failure go, other domains stay; a second delete finds nothing. */
    @Test
    void deleteForgetsOnlyThatDomainsPolicyAndFailure() {
        PolicyStore store = new PolicyStore(open());
        Domain other = Domain.parse("other.test");
        Policy p = policy("version: STSv1\nmode: enforce\nmx: mx1.example.test\nmax_age: 86400\n");
        store.save(DOMAIN, "id1", p, T0);
        store.save(other, "id9", p, T0);
        store.recordFailure(DOMAIN, "id2", T0.plusSeconds(10), "HTTP 404");

        assertThat(store.delete(DOMAIN)).isTrue();

        assertThat(store.load(DOMAIN)).isEmpty();
        assertThat(store.failure(DOMAIN)).isEmpty();
        assertThat(store.all()).extracting(CachedPolicy::domain).containsExactly(other);
        assertThat(store.delete(DOMAIN)).isFalse();
    }

    @Test
    void aNewFetchReplacesThePolicyAndForgetsTheFailure() {
        PolicyStore store = new PolicyStore(open());
        store.save(DOMAIN, "id1", policy("version: STSv1\nmode: enforce\nmx: mx1.example.test\nmax_age: 86400\n"), T0);
        store.recordFailure(DOMAIN, "id2", T0.plusSeconds(10), "HTTP 404");
        assertThat(store.recordFailure(DOMAIN, "id2", T0.plusSeconds(400), "HTTP 404").consecutive()).isEqualTo(2);
        store.save(DOMAIN, "id2", policy("version: STSv1\nmode: none\nmax_age: 600\n"), T0.plusSeconds(1000));

        CachedPolicy loaded = store.load(DOMAIN).orElseThrow();
        assertThat(loaded.policy().mode()).isEqualTo(relay.sts.policy.Mode.NONE);
        assertThat(loaded.expiresAt()).isEqualTo(T0.plusSeconds(1600));
        assertThat(store.failure(DOMAIN)).isEmpty();
    }

    @Test
    void failureBlocksTheSameIdForFiveMinutesOnly() {
        PolicyStore store = new PolicyStore(open());
        FetchFailure f = store.recordFailure(DOMAIN, "id1", T0, "timeout");
        Duration backoff = Duration.ofMinutes(5);
        assertThat(store.failure(DOMAIN)).contains(f);
        assertThat(f.blocks("id1", T0.plusSeconds(60), backoff)).isTrue();
        assertThat(f.blocks("id1", T0.plusSeconds(300), backoff)).isFalse();
        assertThat(f.blocks("id2", T0.plusSeconds(60), backoff)).isFalse();
    }

    // parse, then check: a stored policy that no longer parses is not used
    @Test
    void invalidStoredPolicyIsIgnored() throws SQLException {
        JdbcDataSource ds = open();
        PolicyStore store = new PolicyStore(ds);
        store.save(DOMAIN, "id1", policy("version: STSv1\nmode: enforce\nmx: mx1.example.test\nmax_age: 86400\n"), T0);
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            s.execute("UPDATE sts.policy SET policy_text = 'version: STSv1\nmode: enforce\nmax_age: 86400'");
        }
        // a hand edit is read at the next start: a store keeps what it wrote in memory
        assertThat(new PolicyStore(ds).load(DOMAIN)).isEmpty();
    }

    @Test
    void storedExpiryBeyondMaxAgeIsClampedOnLoad() throws SQLException {
        JdbcDataSource ds = open();
        PolicyStore store = new PolicyStore(ds);
        store.save(DOMAIN, "id1", policy("version: STSv1\nmode: enforce\nmx: mx1.example.test\nmax_age: 3600\n"), T0);
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            s.execute("UPDATE sts.policy SET expires_at = expires_at + 99999999");
        }
        assertThat(new PolicyStore(ds).load(DOMAIN).orElseThrow().expiresAt()).isEqualTo(T0.plusSeconds(3600));
    }

    /** What a delivery asks is answered from memory, and every write of the store keeps it true. */
    @Test
    void loadsAreAnsweredFromMemoryAndWritesKeepItTrue() throws SQLException {
        JdbcDataSource ds = open();
        PolicyStore store = new PolicyStore(ds);
        assertThat(store.load(DOMAIN)).isEmpty();
        store.save(DOMAIN, "id1", policy("version: STSv1\nmode: enforce\nmx: mx1.example.test\nmax_age: 86400\n"), T0);
        assertThat(store.load(DOMAIN)).hasValueSatisfying(p -> assertThat(p.policyId()).isEqualTo("id1"));
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            s.execute("DELETE FROM sts.policy"); // behind the store's back: memory answers
        }
        assertThat(store.load(DOMAIN)).isPresent();
        store.touch(DOMAIN, T0.plusSeconds(60));
        assertThat(store.load(DOMAIN).orElseThrow().lastUsedAt()).isEqualTo(T0.plusSeconds(60));
        store.delete(DOMAIN);
        assertThat(store.load(DOMAIN)).isEmpty();
    }

    // the tables share the relay's database with another module's Flyway, in either order
    @Test
    void sharesTheDatabaseWithAnotherFlywayHistory() {
        JdbcDataSource ds = new JdbcDataSource();
        ds.setURL("jdbc:h2:file:" + dir.resolve("shared") + ";DB_CLOSE_ON_EXIT=FALSE");
        Flyway.configure().dataSource(ds).locations("classpath:db/other-module").load().migrate();
        StsSchema.migrate(ds);
        StsSchema.migrate(ds);
        new PolicyStore(ds).save(DOMAIN, "id1", policy("version: STSv1\nmode: testing\nmx: mx1.example.test\nmax_age: 60\n"), T0);

        JdbcDataSource other = new JdbcDataSource();
        other.setURL("jdbc:h2:file:" + dir.resolve("shared2") + ";DB_CLOSE_ON_EXIT=FALSE");
        StsSchema.migrate(other);
        Flyway.configure().dataSource(other).locations("classpath:db/other-module").load().migrate();
        assertThat(new PolicyStore(other).load(DOMAIN)).isEmpty();
    }
}
