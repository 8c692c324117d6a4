package relay.core.smtp;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Counts the octets a client really sends and fails once they pass the limit, whatever the SIZE
 * parameter promised (RFC 1870 §6: the server may refuse a message larger than it declared).
 */
final class SizeLimitedInputStream extends FilterInputStream {

    private final long limit;
    private long count;

    SizeLimitedInputStream(InputStream in, long limit) {
        super(in);
        this.limit = limit;
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
            count(1);
        }
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (n > 0) {
            count(n);
        }
        return n;
    }

    private void count(int n) throws MessageTooLargeException {
        count += n;
        if (count > limit) {
            throw new MessageTooLargeException(limit);
        }
    }

    long count() {
        return count;
    }

    /** The client sent more than the configured maximum message size. */
    static final class MessageTooLargeException extends IOException {
        MessageTooLargeException(long limit) {
            super("message exceeds " + limit + " octets");
        }
    }
}
