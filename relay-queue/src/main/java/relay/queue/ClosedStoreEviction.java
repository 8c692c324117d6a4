package relay.queue;

import com.zaxxer.hikari.SQLExceptionOverride;
import java.sql.SQLException;

/**
 * After a failed write (a full disk), H2 closes its store and every open connection answers "this
 * store is closed" or "database is closed" for ever. Such connections are dropped from the pool,
 * so the next one opens the database file again once the disk has room: the relay recovers
 * without a restart. Instantiated by HikariCP by name.
 */
public final class ClosedStoreEviction implements SQLExceptionOverride {

    /**
     * H2 error codes: IO_EXCEPTION_1, IO_EXCEPTION_2, DATABASE_IS_CLOSED, GENERAL_ERROR_1. Not
     * DATABASE_CALLED_AT_SHUTDOWN: that is our own clean stop, where nothing needs evicting.
     */
    private static final java.util.Set<Integer> CLOSED = java.util.Set.of(90028, 90031, 90098, 50000);

    @java.lang.Override
    public Override adjudicate(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s && CLOSED.contains(s.getErrorCode()) && closedStore(s)) {
                return Override.MUST_EVICT;
            }
        }
        return Override.CONTINUE_EVICT;
    }

    private static boolean closedStore(SQLException e) {
        String m = String.valueOf(e.getMessage());
        return e.getErrorCode() == 90098 || m.contains("store is closed")
                || m.contains("Writing to") || m.contains("No space left");
    }
}
