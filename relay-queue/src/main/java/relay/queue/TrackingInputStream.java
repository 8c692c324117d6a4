package relay.queue;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Counts octets and remembers the first failure of the stream it wraps: JDBC drivers wrap an
 * {@link IOException} from a parameter stream in an SQL exception, and the spool must tell the
 * client's failure (too big, timed out) from its own.
 */
final class TrackingInputStream extends FilterInputStream {

    private long count;
    private IOException failure;

    TrackingInputStream(InputStream in) {
        super(in);
    }

    @Override
    public int read() throws IOException {
        try {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        } catch (IOException e) {
            throw remember(e);
        }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        try {
            int n = super.read(b, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        } catch (IOException e) {
            throw remember(e);
        }
    }

    private IOException remember(IOException e) {
        if (failure == null) {
            failure = e;
        }
        return e;
    }

    long count() {
        return count;
    }

    IOException failure() {
        return failure;
    }
}
