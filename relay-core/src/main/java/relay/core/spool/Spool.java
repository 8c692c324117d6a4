package relay.core.spool;

import java.io.IOException;
import java.io.InputStream;
import relay.core.mail.Envelope;
import relay.core.mail.QueueId;

/**
 * Where accepted mail goes. The listener says {@code 250} only after {@link #accept} returns.
 */
public interface Spool {

    /**
     * Stores the envelope and the whole message, read from {@code message} to its end, and returns
     * only once both are on stable storage (RFC 5321 §6.1: a server that says 250 has taken
     * responsibility for the message and MUST NOT lose it).
     *
     * @throws IOException when reading {@code message} fails (the client's data, its size limit,
     *     a timeout); nothing is stored
     * @throws SpoolException when the store cannot take the message. Nothing is stored, except
     *     when the commit succeeded and only the sync after it failed: then the message is kept and
     *     delivered, and a client that retries after the 4xx causes a duplicate, never a loss
     */
    void accept(QueueId id, Envelope envelope, InputStream message) throws IOException, SpoolException;

    /**
     * RFC 1870 §6.1: is there room for a message of {@code octets} (0 when the client declared no
     * SIZE)? Asked at MAIL, so a full disk is refused with 452 4.3.1 before any data is sent.
     */
    default boolean hasRoomFor(long octets) {
        return true;
    }
}
