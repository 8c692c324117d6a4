package relay.core.outbound;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.DecoderException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Decodes server replies (RFC 5321 §4.2): lines {@code ddd-text} continue a reply, {@code ddd text}
 * ends it. Replies are decoded as UTF-8 (RFC 6531 servers may send it). Lines longer than
 * {@link #MAX_LINE} and replies of more than {@link #MAX_LINES} lines are protocol errors.
 */
final class ReplyDecoder extends ByteToMessageDecoder {

    static final int MAX_LINE = 4096;
    static final int MAX_LINES = 200;

    private final List<String> pending = new ArrayList<>();
    private int pendingCode = -1;

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (true) {
            int eol = in.indexOf(in.readerIndex(), in.writerIndex(), (byte) '\n');
            if (eol < 0) {
                if (in.readableBytes() > MAX_LINE) {
                    throw new DecoderException("reply line longer than " + MAX_LINE + " octets");
                }
                return;
            }
            int length = eol - in.readerIndex();
            String line = in.toString(in.readerIndex(), length, StandardCharsets.UTF_8);
            in.skipBytes(length + 1);
            if (line.endsWith("\r")) {
                line = line.substring(0, line.length() - 1);
            }
            if (line.length() < 3 || !Character.isDigit(line.charAt(0)) || !Character.isDigit(line.charAt(1))
                    || !Character.isDigit(line.charAt(2)) || (line.length() > 3 && line.charAt(3) != ' ' && line.charAt(3) != '-')) {
                throw new DecoderException("malformed reply line: " + printable(line));
            }
            int code = Integer.parseInt(line.substring(0, 3));
            if (pendingCode >= 0 && code != pendingCode) {
                throw new DecoderException("reply code changed within a multi-line reply: " + printable(line));
            }
            pendingCode = code;
            pending.add(line.length() > 4 ? line.substring(4) : "");
            if (pending.size() > MAX_LINES) {
                throw new DecoderException("reply of more than " + MAX_LINES + " lines");
            }
            if (line.length() == 3 || line.charAt(3) == ' ') {
                out.add(new SmtpReply(code, pending));
                pending.clear();
                pendingCode = -1;
            }
        }
    }

    /**
     * Whether bytes are waiting that no reply has used: read just after the 220 to STARTTLS, that
     * is a response-injection attempt (RFC 3207 §6, CVE-2011-0411) and the session must end.
     */
    boolean hasUnreadBytes() {
        return actualReadableBytes() > 0 || pendingCode >= 0;
    }

    static String printable(String s) {
        String t = s.replaceAll("[\\p{Cntrl}]", "?");
        return t.length() > 120 ? t.substring(0, 120) + "..." : t;
    }
}
