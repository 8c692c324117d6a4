package relay.queue;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import javax.sql.DataSource;
import relay.core.delivery.MessageSource;
import relay.core.mail.QueueId;

/** A message body in the spool, streamed from H2 on each {@link #open}. */
final class StoredMessage implements MessageSource {

    private final DataSource dataSource;
    private final QueueId id;
    private final long size;

    StoredMessage(DataSource dataSource, QueueId id, long size) {
        this.dataSource = dataSource;
        this.id = id;
        this.size = size;
    }

    @Override
    public long size() {
        return size;
    }

    /** The stream holds a pooled connection until it is closed. */
    @Override
    public InputStream open() throws IOException {
        Connection c = null;
        try {
            c = dataSource.getConnection();
            PreparedStatement s = c.prepareStatement("SELECT body FROM message WHERE id = ?");
            s.setString(1, id.value());
            ResultSet rs = s.executeQuery();
            if (!rs.next()) {
                throw new IOException("message " + id + " is no longer in the spool");
            }
            Connection held = c;
            return new FilterInputStream(rs.getBinaryStream(1)) {
                @Override
                public void close() throws IOException {
                    try {
                        super.close();
                    } finally {
                        closeQuietly(held);
                    }
                }
            };
        } catch (SQLException e) {
            closeQuietly(c);
            throw new IOException("cannot read message " + id + ": " + e.getMessage(), e);
        } catch (IOException e) {
            closeQuietly(c);
            throw e;
        }
    }

    private static void closeQuietly(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // returned to the pool or discarded
            }
        }
    }
}
