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
     * Copies each line with {@code System.arraycopy} and looks only at line starts (a dot to
     * double) and line ends (a CR to add before a bare LF): the bytes between cost one comparison
     * each. The byte-by-byte versions were the biggest single item in the delivery profile.
     */
    byte[] encode(byte[] chunk, int length) {
        byte[] out = new byte[length + (length >> 4) + 8];
        int o = 0;
        int i = 0;
        boolean atStart = lineStart;
        while (i < length) {
            if (atStart && chunk[i] == '.') {
                out = room(out, o, 1);
                out[o++] = '.';
            }
            int j = i;
            while (j < length && chunk[j] != '\n') {
                j++;
            }
            int run = j - i;
            out = room(out, o, run + 2);
            System.arraycopy(chunk, i, out, o, run);
            o += run;
            if (j == length) {
                atStart = atStart && run == 0;
                break;
            }
            int before = j > 0 ? chunk[j - 1] : previous;
            if (before != '\r') {
                out[o++] = '\r';
            }
            out[o++] = '\n';
            atStart = true;
            i = j + 1;
        }
        lineStart = atStart;
        if (length > 0) {
            previous = chunk[length - 1];
        }
        return o == out.length ? out : java.util.Arrays.copyOf(out, o);
    }

    private static byte[] room(byte[] out, int used, int more) {
        return used + more <= out.length ? out : java.util.Arrays.copyOf(out, Math.max(out.length * 2, used + more));
    }

    /** The end of the content: a CRLF if the message lacked one, then the final dot. */
    byte[] finish() {
        return lineStart ? new byte[] {'.', '\r', '\n'} : new byte[] {'\r', '\n', '.', '\r', '\n'};
    }
}
