package relay.queue;

import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;

/** One transaction on a pooled connection: committed when the work returns, rolled back when it throws. */
final class Transactions {

    private Transactions() {
    }

    /** Work on the transaction's connection. */
    @FunctionalInterface
    interface Work<T> {
        T in(Connection c) throws SQLException;
    }

    static <T> T run(DataSource dataSource, Work<T> work) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                T result = work.in(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                rollback(c);
                throw e;
            }
        }
    }

    static void rollback(Connection c) {
        try {
            c.rollback();
        } catch (SQLException ignored) {
            // the connection is broken; the pool discards it and H2 rolls back on close
        }
    }
}
