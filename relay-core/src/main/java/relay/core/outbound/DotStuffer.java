package relay.core.outbound;

import java.io.ByteArrayOutputStream;

/**
 * Turns a stored message into DATA content (RFC 5321 §4.5.2): a line that starts with "." gets
 * another, a bare LF becomes CRLF, and the content always ends with CRLF before the final
 * {@code .CRLF}. Stateful across chunks, so a line may span any number of them.
 */
final class DotStuffer {

    private boolean lineStart = true;
    private int previous = -1;

    byte[] encode(byte[] chunk, int length) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(length + length / 64 + 8);
        for (int i = 0; i < length; i++) {
            byte b = chunk[i];
            if (lineStart && b == '.') {
                out.write('.');
            }
            if (b == '\n' && previous != '\r') {
                out.write('\r');
            }
            out.write(b);
            lineStart = b == '\n';
            previous = b;
        }
        return out.toByteArray();
    }

    /** The end of the content: a CRLF if the message lacked one, then the final dot. */
    byte[] finish() {
        return lineStart ? new byte[] {'.', '\r', '\n'} : new byte[] {'\r', '\n', '.', '\r', '\n'};
    }
}
