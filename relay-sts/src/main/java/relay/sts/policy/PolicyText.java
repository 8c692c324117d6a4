package relay.sts.policy;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** A policy body as text and as lines (RFC 8461 §3.2). */
final class PolicyText {

    private static final char BOM = '\uFEFF';

    private PolicyText() {
    }

    /**
     * RFC 8461 §3.2: the policy is UTF-8 (extension values may hold any of it). Strict: a
     * malformed sequence is a {@link PolicyResult.Rejected} naming its line and offset, never a
     * replacement character.
     */
    static PolicyResult decode(byte[] body, Function<String, PolicyResult> then) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(body);
        CharBuffer out = CharBuffer.allocate(body.length);
        CoderResult result = decoder.decode(in, out, true);
        if (!result.isError()) {
            result = decoder.flush(out);
        }
        if (result.isError()) {
            int at = in.position();
            String what = at < body.length ? String.format("byte 0x%02X", body[at] & 0xff) : "the end";
            return new PolicyResult.Rejected(lineOf(body, at), "not UTF-8: " + what + " at offset " + at);
        }
        return then.apply(out.flip().toString());
    }

    /**
     * Splits a body into lines. RFC 8461 §3.2 {@code sts-policy-term = LF / CRLF}: the prose says
     * CRLF, the ABNF also allows LF (erratum 6253, STS-29), so both and any mix end a line. A CR
     * not followed by LF stays in its line (and {@link PolicyFields} rejects it). A byte order
     * mark at the very start is dropped (seen in the wild); the empty text after a final line end
     * is no line.
     */
    static List<String> lines(String body) {
        String text = !body.isEmpty() && body.charAt(0) == BOM ? body.substring(1) : body;
        String[] parts = text.split("\n", -1);
        List<String> lines = new ArrayList<>(parts.length);
        for (int i = 0; i < parts.length - 1; i++) {
            String line = parts[i];
            lines.add(line.endsWith("\r") ? line.substring(0, line.length() - 1) : line);
        }
        String last = parts[parts.length - 1];
        if (!last.isEmpty()) {
            lines.add(last);
        }
        return lines;
    }

    /** The 1-based line holding the byte at {@code offset}. */
    private static int lineOf(byte[] body, int offset) {
        int line = 1;
        for (int i = 0; i < offset && i < body.length; i++) {
            if (body[i] == '\n') {
                line++;
            }
        }
        return line;
    }
}
