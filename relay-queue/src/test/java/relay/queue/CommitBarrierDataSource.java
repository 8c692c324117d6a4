package relay.queue;

import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.time.Duration;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * A real data source whose connections wait in {@code commit()} until {@code parties}
 * transactions are about to commit, or until {@code patience} has passed: two transactions that
 * can run side by side then both reach their commit before either's changes are visible, and a
 * transaction that waits for another's lock is not stuck for long.
 */
final class CommitBarrierDataSource implements DataSource {

    private final DataSource real;
    private final CyclicBarrier barrier;
    private final Duration patience;

    CommitBarrierDataSource(DataSource real, int parties, Duration patience) {
        this.real = real;
        this.barrier = new CyclicBarrier(parties);
        this.patience = patience;
    }

    @Override
    public Connection getConnection() throws SQLException {
        Connection c = real.getConnection();
        return (Connection) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("commit")) {
                        awaitOthers();
                    }
                    try {
                        return method.invoke(c, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    private void awaitOthers() {
        try {
            barrier.await(patience.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | BrokenBarrierException e) {
            barrier.reset();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public Connection getConnection(String user, String password) throws SQLException {
        throw new SQLFeatureNotSupportedException();
    }

    @Override
    public PrintWriter getLogWriter() {
        return null;
    }

    @Override
    public void setLogWriter(PrintWriter out) {
    }

    @Override
    public void setLoginTimeout(int seconds) {
    }

    @Override
    public int getLoginTimeout() {
        return 0;
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        throw new SQLFeatureNotSupportedException();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        throw new SQLException("not a wrapper");
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
        return false;
    }
}
