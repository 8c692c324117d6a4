package relay.core.outbound;

/**
 * Turns a stored message into DATA content (RFC 5321 §4.5.2): a line that starts with "." gets
 * another, a bare LF becomes CRLF, and the content always ends with CRLF before the final
 * {@code .CRLF}. Stateful across chunks, so a line may span any number of them.
 */
final class DotStuffer {

    private boolean lineStart = true;
    private int previous = -1;

    /**
     * One pass over a plain byte array: the output can grow by at most one byte per input byte
     * (a dot doubled or a CR added), so it is sized once and filled by index; no per-byte stream
     * calls (they were a fifth of the delivery CPU).
     */
    byte[] encode(byte[] chunk, int length) {
        byte[] out = new byte[length * 2];
        int o = 0;
        boolean atStart = lineStart;
        int prev = previous;
        for (int i = 0; i < length; i++) {
            byte b = chunk[i];
            if (atStart && b == '.') {
                out[o++] = '.';
            }
            if (b == '\n' && prev != '\r') {
                out[o++] = '\r';
            }
            out[o++] = b;
            atStart = b == '\n';
            prev = b;
        }
        lineStart = atStart;
        previous = prev;
        return o == out.length ? out : java.util.Arrays.copyOf(out, o);
    }

    /** The end of the content: a CRLF if the message lacked one, then the final dot. */
    byte[] finish() {
        return lineStart ? new byte[] {'.', '\r', '\n'} : new byte[] {'\r', '\n', '.', '\r', '\n'};
    }
}
