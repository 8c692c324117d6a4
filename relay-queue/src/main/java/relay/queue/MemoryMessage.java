package relay.queue;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import relay.core.delivery.MessageSource;

/** A message's bytes kept in memory from its acceptance to its first attempt (see {@link Handoff}). */
final class MemoryMessage implements MessageSource {

    private final byte[] bytes;

    MemoryMessage(byte[] bytes) {
        this.bytes = bytes;
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
