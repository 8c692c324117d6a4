package relay.core.testing;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import relay.core.delivery.MessageSource;

/** A stored message held in memory, as the spool would hand it to the delivery agent. */
public final class BytesMessage implements MessageSource {

    private final byte[] bytes;

    public BytesMessage(byte[] bytes) {
        this.bytes = bytes.clone();
    }

    /** The message as UTF-8 bytes; use CRLF line ends, as the spool stores them. */
    public static BytesMessage of(String text) {
        return new BytesMessage(text.getBytes(StandardCharsets.UTF_8));
    }

    public byte[] bytes() {
        return bytes.clone();
    }

    @Override
    public long size() {
        return bytes.length;
    }

    @Override
    public InputStream open() {
        return new ByteArrayInputStream(bytes);
    }
}
