package relay.core.smtp;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;

/**
 * RFC 5321 §4.5.2 transparency, receiving side: removes the period a client put in front of
 * every line that starts with one, the first line of the mail data included. (SubEtha's
 * DotUnstuffingInputStream begins with no line end behind it, so a stuffed first line was kept
 * with both dots.) Reads the output of SubEtha's DotTerminatedInputStream, so lines end in CRLF.
 */
final class DotUnstuffingStream extends FilterInputStream {

    /** The last two bytes passed on; the data starts at the beginning of a line. */
    private int beforeLast = '\r';
    private int last = '\n';

    DotUnstuffingStream(InputStream in) {
        super(in);
    }

    @Override
    public int read() throws IOException {
        int b = in.read();
        if (b == '.' && beforeLast == '\r' && last == '\n') {
            b = in.read();
        }
        beforeLast = last;
        last = b;
        return b;
    }

    @Override
    public int read(byte[] buf, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, buf.length);
        int n = 0;
        while (n < len) {
            int b = read();
            if (b < 0) {
                return n == 0 ? -1 : n;
            }
            buf[off + n++] = (byte) b;
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        long skipped = 0;
        while (skipped < n && read() >= 0) {
            skipped++;
        }
        return skipped;
    }

    @Override
    public boolean markSupported() {
        return false;
    }
}
