package relay.queue;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * A real data source with two switches for the test: hold the next {@link #getConnection} until
 * the test opens the gate (a slow disk), or fail it (a broken one).
 */
final class GateableDataSource implements DataSource {

    private final DataSource real;
    private volatile CountDownLatch gate;
    private final CountDownLatch entered = new CountDownLatch(1);
    private volatile SQLException failure;

    GateableDataSource(DataSource real) {
        this.real = real;
    }

    /** The next getConnection waits until {@link #open} is called. */
    void hold() {
        gate = new CountDownLatch(1);
    }

    void open() {
        CountDownLatch g = gate;
        if (g != null) {
            g.countDown();
        }
    }

    /** Waits until a getConnection is held at the gate. */
    void awaitHeld() throws InterruptedException {
        if (!entered.await(10, TimeUnit.SECONDS)) {
            throw new AssertionError("nobody asked for a connection");
        }
    }

    void failWith(SQLException e) {
        failure = e;
    }

    @Override
    public Connection getConnection() throws SQLException {
        CountDownLatch g = gate;
        if (g != null) {
            entered.countDown();
            try {
                if (!g.await(30, TimeUnit.SECONDS)) {
                    throw new SQLException("test gate never opened");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SQLException("interrupted at the test gate", e);
            }
        }
        SQLException f = failure;
        if (f != null) {
            throw f;
        }
        return real.getConnection();
    }

    @Override
    public Connection getConnection(String user, String password) throws SQLException {
        throw new SQLFeatureNotSupportedException();
    }

    @Override
    public PrintWriter getLogWriter() throws SQLException {
        return real.getLogWriter();
    }

    @Override
    public void setLogWriter(PrintWriter out) throws SQLException {
        real.setLogWriter(out);
    }

    @Override
    public void setLoginTimeout(int seconds) throws SQLException {
        real.setLoginTimeout(seconds);
    }

    @Override
    public int getLoginTimeout() throws SQLException {
        return real.getLoginTimeout();
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        return real.getParentLogger();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        return real.unwrap(iface);
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) throws SQLException {
        return real.isWrapperFor(iface);
    }
}
