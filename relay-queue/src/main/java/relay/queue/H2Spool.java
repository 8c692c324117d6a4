package relay.queue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;
import relay.core.delivery.DeliveryRequest;
import relay.core.delivery.MessageSource;
import relay.core.mail.Domain;
import relay.core.mail.Envelope;
import relay.core.mail.MailAddress;
import relay.core.mail.QueueId;
import relay.core.spool.Spool;
import relay.core.spool.SpoolException;

/**
 * The spool in H2: envelope and body in one transaction, then a shared sync ({@link GroupCommit})
 * before {@link #accept} returns, so a {@code 250} is never said for mail that is not on disk.
 * When the scheduler has room ({@link Handoff}), the message is handed to it straight away.
 */
public final class H2Spool implements Spool {

    /**
     * Messages up to this size are kept in memory from acceptance to their first attempt when
     * they are handed off and the scheduler has room for them ({@link Handoff.Slot#keep});
     * others are read back from the database.
     */
    static final int KEPT_IN_MEMORY = 128 * 1024;

    private final DataSource dataSource;
    private final GroupCommit groupCommit;
    private final Clock clock;
    private final QueueSettings settings;
    private final WorkSignal signal;
    private final Optional<StorageGuard> storage;
    private final Handoff handoff;

    /** A spool whose mail waits for the scheduler's poll. */
    public H2Spool(DataSource dataSource, GroupCommit groupCommit, Clock clock, QueueSettings settings, WorkSignal signal) {
        this(dataSource, groupCommit, clock, settings, signal, Optional.empty(), Handoff.none());
    }

    /**
     * @param storage refuses mail at MAIL while the disk is below its reserve
     * @param handoff the scheduler's hand-off for fresh mail ({@link Handoff#none()} without delivery)
     */
    public H2Spool(DataSource dataSource, GroupCommit groupCommit, Clock clock, QueueSettings settings, WorkSignal signal,
            Optional<StorageGuard> storage, Handoff handoff) {
        this.storage = storage;
        this.dataSource = dataSource;
        this.groupCommit = groupCommit;
        this.clock = clock;
        this.settings = settings;
        this.signal = signal;
        this.handoff = handoff;
    }

    @Override
    public boolean hasRoomFor(long octets) {
        return storage.map(g -> g.hasRoomFor(octets)).orElse(true);
    }

    @Override
    public void accept(QueueId id, Envelope envelope, InputStream message) throws IOException, SpoolException {
        Optional<Handoff.Slot> slot = handoff.reserve();
        byte[] kept;
        Stored stored;
        try {
            // a message of ordinary size is read into memory first: stored with its length known
            // (H2 then keeps it in the row), and handed off, its first attempt sends these bytes
            // instead of reading the body back from the database
            byte[] head = message.readNBytes(KEPT_IN_MEMORY + 1);
            boolean whole = head.length <= KEPT_IN_MEMORY;
            InputStream body = whole ? new ByteArrayInputStream(head)
                    : new SequenceInputStream(new ByteArrayInputStream(head), message);
            stored = store(id, envelope, body, whole ? head.length : -1, slot);
            kept = whole && slot.isPresent() && slot.get().keep(head.length) ? head : null;
        } catch (IOException | SpoolException | RuntimeException e) {
            slot.ifPresent(Handoff.Slot::cancel);
            throw e;
        }
        if (slot.isEmpty()) {
            groupCommit.awaitDurable();
            signal.wake();
            return;
        }
        try {
            groupCommit.awaitDurable();
        } finally {
            // committed, so delivered even when the sync after it failed (see Spool#accept)
            MessageSource source = kept != null ? new MemoryMessage(kept)
                    : new StoredMessage(dataSource, id, stored.octets());
            slot.get().submit(attempts(slot.get().owner(), id, envelope, source, stored.at()));
        }
    }

    /** When a message was stored, and its size. */
    private record Stored(Instant at, long octets) {
    }

    /** Stores and commits the message, its recipients leased to the slot's owner if any. */
    private Stored store(QueueId id, Envelope envelope, InputStream body, long length, Optional<Handoff.Slot> slot)
            throws IOException, SpoolException {
        Instant now = clock.instant();
        Optional<MessageWriter.Lease> lease = slot.map(s -> new MessageWriter.Lease(s.owner(), now.plus(settings.lease())));
        long octets;
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                octets = MessageWriter.insert(c, id, envelope, body, length, now, now.plus(settings.lifetime()), lease);
                c.commit();
            } catch (IOException | SQLException | RuntimeException e) {
                Transactions.rollback(c);
                throw e;
            }
        } catch (SQLException | RuntimeException e) {
            throw new SpoolException("cannot store message " + id + ": " + e.getMessage(), e);
        }
        return new Stored(now, octets);
    }

    /** One first attempt per recipient domain, in the order the domains first appear. */
    private List<FreshAttempt> attempts(String owner, QueueId id, Envelope envelope, MessageSource source, Instant now) {
        Map<Domain, List<MailAddress>> byDomain = new LinkedHashMap<>();
        for (MailAddress r : envelope.recipients()) {
            byDomain.computeIfAbsent(r.domain(), d -> new ArrayList<>()).add(r);
        }
        List<FreshAttempt> out = new ArrayList<>(byDomain.size());
        byDomain.forEach((domain, recipients) -> out.add(new FreshAttempt(new Claim(id, domain, owner),
                new DeliveryRequest(id, envelope, domain, recipients, source, 1), now, byDomain.size() == 1)));
        return out;
    }
}
