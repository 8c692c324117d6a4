package relay.sts.cache;

import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/**
 * Creates and upgrades the MTA-STS tables. They live in their own schema {@code STS} with their
 * own Flyway history table ({@code sts_schema_history}) and migrations ({@code classpath:db/sts}),
 * so the relay-sts tables can share the relay's database file with the queue: neither module's
 * Flyway sees the other's tables, in whichever order the two migrate.
 */
public final class StsSchema {

    /** The schema every relay-sts table is in. */
    public static final String SCHEMA = "STS";

    private StsSchema() {
    }

    /** Applies the pending relay-sts migrations; safe to call at every start. */
    public static void migrate(DataSource dataSource) {
        Flyway.configure()
                .dataSource(dataSource)
                .schemas(SCHEMA)
                .defaultSchema(SCHEMA)
                .table("sts_schema_history")
                .locations("classpath:db/sts")
                .load()
                .migrate();
    }
}
