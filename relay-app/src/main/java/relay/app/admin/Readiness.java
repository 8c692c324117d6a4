package relay.app.admin;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.function.BooleanSupplier;
import javax.sql.DataSource;

/**
 * Whether the relay can take mail now: the database answers a query, the SMTP listener is bound,
 * and the data directory's filesystem has more free space than the configured minimum.
 */
public final class Readiness {

    /** One check's verdict; {@code detail} says what was seen. */
    public record Check(String check, boolean ok, String detail) {
    }

    private final DataSource database;
    private final BooleanSupplier listening;
    private final Path dataDir;
    private final long minFreeBytes;

    public Readiness(DataSource database, BooleanSupplier listening, Path dataDir, long minFreeBytes) {
        this.database = database;
        this.listening = listening;
        this.dataDir = dataDir;
        this.minFreeBytes = minFreeBytes;
    }

    /** Every check, in a fixed order: database, smtp-listener, disk. */
    public List<Check> checks() {
        return List.of(database(), listener(), disk());
    }

    public static boolean ready(List<Check> checks) {
        return checks.stream().allMatch(Check::ok);
    }

    private Check database() {
        try (Connection c = database.getConnection(); Statement s = c.createStatement()) {
            s.setQueryTimeout(5);
            try (ResultSet rs = s.executeQuery("SELECT 1")) {
                return new Check("database", rs.next(), "answers");
            }
        } catch (SQLException | RuntimeException e) {
            return new Check("database", false, "does not answer: " + e.getMessage());
        }
    }

    private Check listener() {
        return listening.getAsBoolean() ? new Check("smtp-listener", true, "bound")
                : new Check("smtp-listener", false, "not bound");
    }

    private Check disk() {
        try {
            FileStore store = Files.getFileStore(dataDir);
            long free = store.getUsableSpace();
            String detail = mib(free) + " free in " + dataDir + ", minimum " + mib(minFreeBytes);
            return new Check("disk", free > minFreeBytes, detail);
        } catch (IOException e) {
            return new Check("disk", false, "cannot read the free space of " + dataDir + ": " + e.getMessage());
        }
    }

    private static String mib(long bytes) {
        return (bytes / (1024 * 1024)) + " MiB";
    }
}
