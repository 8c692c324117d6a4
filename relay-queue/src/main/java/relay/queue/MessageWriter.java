package relay.queue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import relay.core.mail.Envelope;
import relay.core.mail.MailAddress;
import relay.core.mail.QueueId;

/** Inserts one message and its recipients inside the caller's transaction. */
final class MessageWriter {

    private MessageWriter() {
    }

    /** A message whose bytes are all at hand: stored in its row when small (see {@link Database}). */
    static long insert(Connection c, QueueId id, Envelope envelope, byte[] body, Instant now, Instant expires)
            throws SQLException, IOException {
        return insert(c, id, envelope, new ByteArrayInputStream(body), body.length, now, expires, Optional.empty());
    }

    /** The recipients are stored already claimed by {@code owner} until {@code until} (see {@link Handoff}). */
    record Lease(String owner, Instant until) {
    }

    /**
     * Inserts the message and its recipients: {@code QUEUED}, or with a lease {@code DELIVERING}
     * under it.
     *
     * @param length the body's exact length when known, else -1: H2 keeps a body of known length
     *     up to {@code MAX_LENGTH_INPLACE_LOB} in the message row rather than in its LOB maps
     * @return the number of octets stored
     * @throws IOException when reading {@code body} failed (the transaction must be rolled back)
     */
    static long insert(Connection c, QueueId id, Envelope envelope, InputStream body, long length, Instant now,
            Instant expires, Optional<Lease> lease) throws SQLException, IOException {
        TrackingInputStream in = new TrackingInputStream(body);
        try (PreparedStatement m = c.prepareStatement("INSERT INTO message"
                + " (id, sender, smtputf8, eightbit, received_at, expires_at, body, tls_optional) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
            m.setString(1, id.value());
            if (envelope.sender().isPresent()) {
                m.setString(2, envelope.sender().get().toString());
            } else {
                m.setNull(2, Types.VARCHAR);
            }
            m.setBoolean(3, envelope.smtpUtf8());
            m.setBoolean(4, envelope.eightBit());
            m.setTimestamp(5, Timestamp.from(now));
            m.setTimestamp(6, Timestamp.from(expires));
            if (length >= 0) {
                m.setBinaryStream(7, in, length);
            } else {
                m.setBinaryStream(7, in);
            }
            m.setBoolean(8, envelope.tlsOptional());
            m.executeUpdate();
        } catch (SQLException e) {
            if (in.failure() != null) {
                throw in.failure();
            }
            throw e;
        }
        if (in.failure() != null) {
            throw in.failure();
        }
        List<MailAddress> recipients = envelope.recipients();
        try (PreparedStatement r = c.prepareStatement("INSERT INTO recipient (message_id, seq, address, domain, state,"
                + " attempts, next_attempt_at, lease_owner, lease_until) VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?)")) {
            for (int i = 0; i < recipients.size(); i++) {
                r.setString(1, id.value());
                r.setInt(2, i);
                r.setString(3, recipients.get(i).toString());
                r.setString(4, recipients.get(i).domain().name());
                r.setString(5, lease.isPresent() ? "DELIVERING" : "QUEUED");
                r.setTimestamp(6, Timestamp.from(now));
                r.setString(7, lease.map(Lease::owner).orElse(null));
                r.setTimestamp(8, lease.map(l -> Timestamp.from(l.until())).orElse(null));
                r.addBatch();
            }
            r.executeBatch();
        }
        return in.count();
    }
}
