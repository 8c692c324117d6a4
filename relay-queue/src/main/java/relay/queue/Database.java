package relay.queue;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.metrics.MetricsTrackerFactory;
import java.nio.file.Path;
import java.util.Optional;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/**
 * The embedded H2 database behind the spool: one file in the data directory, a HikariCP pool,
 * and Flyway migrations applied at open. H2's own file lock keeps a second process out.
 */
public final class Database implements AutoCloseable {

    /** Bodies up to this size are kept in the message row (H2's {@code MAX_LENGTH_INPLACE_LOB}). */
    static final int INPLACE_BODY = 32 * 1024;

    private final HikariDataSource pool;

    private Database(HikariDataSource pool) {
        this.pool = pool;
    }

    /**
     * Opens (creating if needed) {@code <dir>/relay.mv.db} and migrates it to the current schema.
     *
     * @param poolSize connections: one per concurrent SMTP session that may be storing at once,
     *     plus the scheduler's and the group commit's
     */
    public static Database open(Path dir, int poolSize) {
        return open(dir, poolSize, Optional.empty());
    }

    /**
     * As {@link #open(Path, int)}, reporting the pool's statistics (connections in use, waits,
     * timeouts) to {@code poolMetrics}, such as HikariCP's own Micrometer tracker.
     */
    public static Database open(Path dir, int poolSize, Optional<MetricsTrackerFactory> poolMetrics) {
        String url = "jdbc:h2:file:" + dir.toAbsolutePath().resolve("relay")
                // DB_CLOSE_ON_EXIT=FALSE: we close it ourselves, after the listener has stopped
                // LOCK_TIMEOUT: a claim that waits on another's row lock gives up in 10 s
                + ";DB_CLOSE_ON_EXIT=FALSE;LOCK_TIMEOUT=10000"
                // bodies up to 32 KiB stored with their length live in the message row, not in
                // H2's three LOB maps: fewer pages written per message, nothing for the LOB cleaner
                + ";MAX_LENGTH_INPLACE_LOB=" + INPLACE_BODY;
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setUsername("relay");
        config.setPassword("");
        config.setMaximumPoolSize(poolSize);
        config.setMinimumIdle(2);
        config.setPoolName("relay-h2");
        config.setConnectionTimeout(10_000);
        config.setExceptionOverrideClassName(ClosedStoreEviction.class.getName());
        poolMetrics.ifPresent(config::setMetricsTrackerFactory);
        HikariDataSource ds = new HikariDataSource(config);
        try {
            Flyway.configure().dataSource(ds).locations("classpath:db/migration")
                    .javaMigrations(new V3__RecipientKeyWithoutCascade()).load().migrate();
        } catch (RuntimeException e) {
            ds.close();
            throw e;
        }
        return new Database(ds);
    }

    public DataSource dataSource() {
        return pool;
    }

    /** Closes the pool and then the database file (H2's SHUTDOWN writes everything out). */
    @Override
    public void close() {
        try (var c = pool.getConnection(); var s = c.createStatement()) {
            s.execute("SHUTDOWN");
        } catch (java.sql.SQLException e) {
            // already closed or broken: nothing more to write
        }
        pool.close();
    }
}
