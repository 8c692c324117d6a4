package relay.core.outbound;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DotStufferTest {

    @ParameterizedTest(name = "[{index}] chunk {2}")
    @CsvSource(delimiter = '|', value = {
        // RFC 5321 §4.5.2: a leading dot is doubled, wherever the line starts
        "a\\r\\n.b\\r\\n              | a\\r\\n..b\\r\\n.\\r\\n         | 1000",
        ".\\r\\n                     | ..\\r\\n.\\r\\n                 | 1000",
        "..x\\r\\n                   | ...x\\r\\n.\\r\\n               | 1000",
        "a.b\\r\\n                   | a.b\\r\\n.\\r\\n                | 1000",
        // the same across chunk boundaries of every size
        "a\\r\\n.b\\r\\n.\\r\\n         | a\\r\\n..b\\r\\n..\\r\\n.\\r\\n  | 1",
        "a\\r\\n.b\\r\\n.\\r\\n         | a\\r\\n..b\\r\\n..\\r\\n.\\r\\n  | 2",
        "a\\r\\n.b\\r\\n.\\r\\n         | a\\r\\n..b\\r\\n..\\r\\n.\\r\\n  | 3",
        // a message without a final line end gets one before the final dot
        "abc                        | abc\\r\\n.\\r\\n                | 1000",
        "abc\\r\\n.x                  | abc\\r\\n..x\\r\\n.\\r\\n         | 2",
        // RFC 5321 §2.3.8: bare LF becomes CRLF
        "a\\nb\\n                     | a\\r\\nb\\r\\n.\\r\\n             | 1000",
        "a\\n.b                      | a\\r\\n..b\\r\\n.\\r\\n           | 1",
        // empty message: just the final dot
        "''                         | .\\r\\n                       | 1000",
    })
    void stuffs(String input, String expected, int chunk) {
        byte[] in = unescape(input).getBytes(StandardCharsets.UTF_8);
        DotStuffer s = new DotStuffer();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < in.length; i += chunk) {
            int n = Math.min(chunk, in.length - i);
            byte[] part = java.util.Arrays.copyOfRange(in, i, i + n);
            out.writeBytes(s.encode(part, n));
        }
        out.writeBytes(s.finish());
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo(unescape(expected));
    }

    /** Random messages of dots, CRs, LFs and letters, in random chunks, against the rules spelled out byte by byte. */
    @org.junit.jupiter.api.RepeatedTest(200)
    void matchesTheRulesOnRandomInputInRandomChunks(org.junit.jupiter.api.RepetitionInfo rep) {
        java.util.Random random = new java.util.Random(rep.getCurrentRepetition());
        byte[] alphabet = {'.', '\r', '\n', 'a', 'b'};
        byte[] in = new byte[random.nextInt(200)];
        for (int i = 0; i < in.length; i++) {
            in[i] = alphabet[random.nextInt(alphabet.length)];
        }
        DotStuffer s = new DotStuffer();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < in.length; ) {
            int n = Math.min(1 + random.nextInt(17), in.length - i);
            out.writeBytes(s.encode(java.util.Arrays.copyOfRange(in, i, i + n), n));
            i += n;
        }
        out.writeBytes(s.finish());
        assertThat(out.toByteArray()).isEqualTo(reference(in));
    }

    /** RFC 5321 §4.5.2 and §2.3.8, one byte at a time. */
    private static byte[] reference(byte[] in) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        boolean lineStart = true;
        int previous = -1;
        for (byte b : in) {
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
        out.writeBytes(lineStart ? new byte[] {'.', '\r', '\n'} : new byte[] {'\r', '\n', '.', '\r', '\n'});
        return out.toByteArray();
    }

    private static String unescape(String s) {
        return s.strip().replace("\\r", "\r").replace("\\n", "\n");
    }
}
