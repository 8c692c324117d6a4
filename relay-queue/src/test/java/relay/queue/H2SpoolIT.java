package relay.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static relay.queue.QueueFixture.envelope;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import relay.core.delivery.DeliveryRequest;
import relay.core.mail.Envelope;
import relay.core.mail.MailAddress;
import relay.core.mail.QueueId;
import relay.core.spool.SpoolException;

class H2SpoolIT {

    @TempDir
    Path dir;

    private QueueFixture q;

    @BeforeEach
    void open() {
        q = new QueueFixture(dir, QueueFixture.SETTINGS, 24);
    }

    @AfterEach
    void close() {
        q.close();
    }

    static Stream<Arguments> envelopes() {
        byte[] binary = new byte[70_000];
        new Random(5).nextBytes(binary);
        byte[] allOctets = new byte[256];
        for (int i = 0; i < 256; i++) {
            allOctets[i] = (byte) i;
        }
        return Stream.of(
                Arguments.of("plain", new Envelope(Optional.of(QueueFixture.addr("Alice.Smith@origin.example")),
                        List.of(QueueFixture.addr("bob@dest.example")), false, false), QueueFixture.message("plain")),
                // RFC 5321 §4.5.5: the null reverse-path of a bounce is stored as such
                Arguments.of("null sender", envelope(null, "bob@dest.example", "carol@other.example"),
                        QueueFixture.message("a bounce")),
                Arguments.of("8BITMIME, every octet value", new Envelope(Optional.of(QueueFixture.addr("a@origin.example")),
                        List.of(QueueFixture.addr("b@dest.example")), false, true), allOctets),
                Arguments.of("SMTPUTF8", new Envelope(Optional.of(QueueFixture.addr("josé@origin.example")),
                        List.of(QueueFixture.addr("用户@dest.example"), QueueFixture.addr("Bob@dest.example")), true, true),
                        "Subject: olá\r\n\r\nçà\r\n".getBytes(StandardCharsets.UTF_8)),
                // larger than H2 keeps inside the row: goes through its LOB storage
                Arguments.of("70 KB binary body", envelope("a@origin.example", "b@dest.example"), binary),
                Arguments.of("empty body", envelope("a@origin.example", "b@dest.example"), new byte[0]));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("envelopes")
    void acceptStoresTheEnvelopeAndTheExactBody(String name, Envelope envelope, byte[] body) throws Exception {
        QueueId id = q.accept(envelope, body);

        QueueFixture.MessageRow m = q.message(id).orElseThrow();
        assertThat(m.sender()).isEqualTo(envelope.sender().map(MailAddress::toString).orElse(null));
        assertThat(m.smtpUtf8()).isEqualTo(envelope.smtpUtf8());
        assertThat(m.eightBit()).isEqualTo(envelope.eightBit());
        assertThat(m.body()).isEqualTo(body);
        assertThat(m.size()).isEqualTo(body.length);
        assertThat(m.receivedAt()).isEqualTo(QueueFixture.T0);
        assertThat(m.expiresAt()).isEqualTo(QueueFixture.T0.plus(q.settings.lifetime()));

        List<QueueFixture.RecipientRow> rows = q.recipients(id);
        assertThat(rows).extracting(QueueFixture.RecipientRow::address)
                .containsExactlyElementsOf(envelope.recipients().stream().map(MailAddress::toString).toList());
        assertThat(rows).extracting(QueueFixture.RecipientRow::domain)
                .containsExactlyElementsOf(envelope.recipients().stream().map(r -> r.domain().name()).toList());
        assertThat(rows).allSatisfy(r -> {
            assertThat(r.state()).isEqualTo("QUEUED");
            assertThat(r.attempts()).isZero();
            assertThat(r.nextAttemptAt()).isEqualTo(QueueFixture.T0);
            assertThat(r.leaseOwner()).isNull();
            assertThat(r.notified()).isFalse();
        });
    }

    @Test
    void whatWasAcceptedReadsBackThroughTheQueueAsTheSameEnvelope() throws Exception {
        Envelope envelope = new Envelope(Optional.of(QueueFixture.addr("\"odd local\"@origin.example")),
                List.of(QueueFixture.addr("Bob.Jones@dest.example")), false, true);
        byte[] body = QueueFixture.message("round trip");
        QueueId id = q.accept(envelope, body);

        DeliveryRequest request = q.store.load(q.store.claimDue(1, "w").get(0)).orElseThrow();

        assertThat(request.id()).isEqualTo(id);
        assertThat(request.envelope()).isEqualTo(envelope);
        try (InputStream in = request.message().open()) {
            assertThat(in.readAllBytes()).isEqualTo(body);
        }
    }

    /** A client whose data stops with an error after {@code good} octets (a timeout, a size limit). */
    private static final class FailingBody extends InputStream {
        private final InputStream data;
        private final IOException failure;

        FailingBody(int good, IOException failure) {
            byte[] bytes = new byte[good];
            new Random(good).nextBytes(bytes);
            this.data = new ByteArrayInputStream(bytes);
            this.failure = failure;
        }

        @Override
        public int read() throws IOException {
            int b = data.read();
            if (b < 0) {
                throw failure;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = data.read(b, off, len);
            if (n < 0) {
                throw failure;
            }
            return n;
        }
    }

    @ParameterizedTest(name = "fails after {0} octets")
    @ValueSource(ints = {0, 1, 100, 8_191, 200_000})
    void aBodyThatFailsSurfacesItsIOExceptionAndStoresNothing(int good) throws Exception {
        IOException failure = new IOException("client timed out in DATA");
        QueueId id = q.newId();

        assertThatThrownBy(() -> q.spool.accept(id, envelope("a@origin.example", "b@dest.example", "c@dest.example"),
                new FailingBody(good, failure))).isSameAs(failure);

        assertThat(q.count("SELECT COUNT(*) FROM message")).isZero();
        assertThat(q.count("SELECT COUNT(*) FROM recipient")).isZero();
        // and the id is free again: nothing half-written is left in the way
        q.spool.accept(id, envelope("a@origin.example", "b@dest.example"), new ByteArrayInputStream(QueueFixture.message("x")));
        assertThat(q.count("SELECT COUNT(*) FROM recipient")).isEqualTo(1);
    }

    static Stream<Arguments> breakages() {
        return Stream.of(
                Arguments.of("database closed", (Consumer<QueueFixture>) f -> f.db.close()),
                Arguments.of("recipient table gone", (Consumer<QueueFixture>) f -> sql(f, "DROP TABLE recipient")),
                Arguments.of("message table read-only", (Consumer<QueueFixture>) f -> sql(f,
                        "ALTER TABLE message ADD CONSTRAINT no_more CHECK (id = 'NONE')")));
    }

    private static void sql(QueueFixture f, String statement) {
        try {
            f.update(statement);
        } catch (SQLException e) {
            throw new AssertionError(e);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("breakages")
    void aBrokenDatabaseIsASpoolException(String name, Consumer<QueueFixture> breakage) throws Exception {
        breakage.accept(q);

        assertThatThrownBy(() -> q.spool.accept(q.newId(), envelope("a@origin.example", "b@dest.example"),
                new ByteArrayInputStream(QueueFixture.message("lost?")))).isInstanceOf(SpoolException.class);
    }

    @Test
    void aBrokenDatabaseKeepsNoHalfOfTheMessage() throws Exception {
        q.update("DROP TABLE recipient");

        assertThatThrownBy(() -> q.spool.accept(q.newId(), envelope("a@origin.example", "b@dest.example"),
                new ByteArrayInputStream(QueueFixture.message("half")))).isInstanceOf(SpoolException.class);
        // the message row went in before the recipients failed: it was rolled back with them
        assertThat(q.count("SELECT COUNT(*) FROM message")).isZero();
    }

    @Test
    void concurrentAcceptsAreAllStoredAndShareTheirSyncs() throws Exception {
        int threads = 20;
        int perThread = 20;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<List<QueueId>>> results = new ArrayList<>();
        long syncsBefore = q.groupCommit.syncCount();
        try {
            for (int t = 0; t < threads; t++) {
                int thread = t;
                results.add(pool.submit(() -> {
                    start.await();
                    List<QueueId> ids = new ArrayList<>();
                    for (int i = 0; i < perThread; i++) {
                        QueueId id = new QueueId(String.format("T%02dM%07d", thread, i));
                        q.spool.accept(id, envelope("s" + thread + "@origin.example", "r" + i + "@dest.example",
                                "x@other.example"), new ByteArrayInputStream(("Subject: " + id + "\r\n\r\n" + id).getBytes(
                                StandardCharsets.US_ASCII)));
                        ids.add(id);
                    }
                    return ids;
                }));
            }
            start.countDown();
            List<QueueId> all = new ArrayList<>();
            for (Future<List<QueueId>> f : results) {
                all.addAll(f.get(60, TimeUnit.SECONDS));
            }

            int messages = threads * perThread;
            assertThat(all).hasSize(messages).doesNotHaveDuplicates();
            assertThat(q.count("SELECT COUNT(*) FROM message")).isEqualTo(messages);
            assertThat(q.count("SELECT COUNT(*) FROM recipient")).isEqualTo(2L * messages);
            for (QueueId id : all) {
                assertThat(new String(q.message(id).orElseThrow().body(), StandardCharsets.US_ASCII))
                        .isEqualTo("Subject: " + id + "\r\n\r\n" + id);
            }
            long syncs = q.groupCommit.syncCount() - syncsBefore;
            // every accept waited for a sync, but they shared them: fewer syncs than messages
            assertThat(syncs).isPositive().isLessThan(messages);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void acceptedMailSurvivesClosingAndReopeningTheDatabase() throws Exception {
        List<QueueId> ids = new ArrayList<>();
        List<byte[]> bodies = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            byte[] body = QueueFixture.message("survivor " + i);
            ids.add(q.accept(envelope(i == 0 ? null : "a" + i + "@origin.example", "b" + i + "@dest.example"), body));
            bodies.add(body);
        }
        q.close();

        try (Database reopened = Database.open(dir, 4)) {
            QueueStore store = new QueueStore(reopened.dataSource(), q.clock, q.settings, new Random(1));
            assertThat(store.depth().messages()).isEqualTo(5);
            List<Claim> claims = store.claimDue(10, "after-restart");
            assertThat(claims).extracting(Claim::id).containsExactlyInAnyOrderElementsOf(ids);
            for (Claim claim : claims) {
                DeliveryRequest request = store.load(claim).orElseThrow();
                int i = ids.indexOf(claim.id());
                assertThat(request.envelope().sender().map(MailAddress::toString))
                        .isEqualTo(i == 0 ? Optional.empty() : Optional.of("a" + i + "@origin.example"));
                try (InputStream in = request.message().open()) {
                    assertThat(in.readAllBytes()).isEqualTo(bodies.get(i));
                }
            }
        }
        // a fresh fixture for @AfterEach to close
        q = new QueueFixture(dir);
    }

    @Test
    void acceptReturnsOnlyAfterASync() throws Exception {
        long before = q.groupCommit.syncCount();

        q.accept("a@origin.example", "b@dest.example");

        assertThat(q.groupCommit.syncCount()).isGreaterThan(before);
    }

    @Test
    void theLifetimeStartsAtAcceptance() throws Exception {
        q.clock.advance(Duration.ofHours(3));

        QueueId id = q.accept("a@origin.example", "b@dest.example");

        QueueFixture.MessageRow m = q.message(id).orElseThrow();
        assertThat(m.receivedAt()).isEqualTo(QueueFixture.T0.plus(Duration.ofHours(3)));
        assertThat(m.expiresAt()).isEqualTo(m.receivedAt().plus(q.settings.lifetime()));
    }

    /** Hands out slots and remembers what became of them. */
    private static final class RecordingHandoff implements Handoff {
        final List<List<FreshAttempt>> submitted = new java.util.concurrent.CopyOnWriteArrayList<>();
        final java.util.concurrent.atomic.AtomicInteger released = new java.util.concurrent.atomic.AtomicInteger();
        final java.util.concurrent.atomic.AtomicLong kept = new java.util.concurrent.atomic.AtomicLong();

        @Override
        public Optional<Slot> reserve() {
            return Optional.of(new Slot("relay-test", n -> {
                kept.addAndGet(n);
                return true;
            }, (attempts, n) -> submitted.add(attempts), n -> {
                kept.addAndGet(-n);
                released.incrementAndGet();
            }));
        }
    }

    @Test
    void aStoredMessageIsHandedOffAsOneFirstAttemptPerDomain() throws Exception {
        RecordingHandoff handoff = new RecordingHandoff();
        H2Spool spool = q.spoolWith(handoff);
        QueueId id = q.newId();
        byte[] body = QueueFixture.message("split");

        spool.accept(id, envelope("a@origin.example", "b@one.example", "c@two.example", "d@one.example"),
                new ByteArrayInputStream(body));

        assertThat(handoff.submitted).singleElement().satisfies(attempts -> {
            assertThat(attempts).extracting(a -> a.claim().domain().name()).containsExactly("one.example", "two.example");
            assertThat(attempts.get(0).request().recipients()).extracting(Object::toString)
                    .containsExactly("b@one.example", "d@one.example");
            assertThat(attempts).allSatisfy(a -> {
                assertThat(a.claim().id()).isEqualTo(id);
                assertThat(a.claim().owner()).isEqualTo("relay-test");
                assertThat(a.wholeMessage()).isFalse();
                assertThat(a.request().attempt()).isEqualTo(1);
                assertThat(a.request().message().open().readAllBytes()).isEqualTo(q.message(id).orElseThrow().body());
            });
        });
        assertThat(handoff.kept.get()).isEqualTo(q.message(id).orElseThrow().size());
        assertThat(q.count("SELECT COUNT(*) FROM recipient WHERE state = 'DELIVERING' AND lease_owner = 'relay-test'"))
                .isEqualTo(3);
    }

    @Test
    void aMessageThatIsNotStoredGivesItsSlotBack() throws Exception {
        RecordingHandoff handoff = new RecordingHandoff();
        H2Spool spool = q.spoolWith(handoff);
        IOException failure = new IOException("client timed out in DATA");

        assertThatThrownBy(() -> spool.accept(q.newId(), envelope("a@origin.example", "b@dest.example"),
                new FailingBody(1000, failure))).isSameAs(failure);
        q.update("DROP TABLE recipient");
        assertThatThrownBy(() -> spool.accept(q.newId(), envelope("a@origin.example", "b@dest.example"),
                new ByteArrayInputStream(QueueFixture.message("lost?")))).isInstanceOf(SpoolException.class);

        assertThat(handoff.submitted).isEmpty();
        assertThat(handoff.released.get()).isEqualTo(2);
        assertThat(handoff.kept.get()).isZero();
    }

    /**
     * A body of up to {@link Database#INPLACE_BODY} octets is stored in its message row; a bigger
     * one in H2's LOB maps. Read from the database file itself, after the database is closed.
     */
    @ParameterizedTest(name = "{0} octets in the LOB maps: {1}")
    @org.junit.jupiter.params.provider.CsvSource({"10240, false", "32768, false", "32769, true", "200000, true"})
    void aSmallBodyIsKeptInItsRowAndABigOneInTheLobMaps(int size, boolean inLobMaps) throws Exception {
        byte[] body = new byte[size];
        java.util.Arrays.fill(body, (byte) 'x');
        QueueId id = q.newId();
        q.spool.accept(id, envelope("a@origin.example", "b@dest.example"), new ByteArrayInputStream(body));
        assertThat(q.message(id).orElseThrow().body()).isEqualTo(body);
        q.close();

        try (org.h2.mvstore.MVStore store = new org.h2.mvstore.MVStore.Builder()
                .fileName(dir.resolve("relay.mv.db").toString()).readOnly().open()) {
            // the map of LOB data blocks, opened with the types H2's LobStorageMap gives it
            long blocks = store.hasMap("lobData") ? store.openMap("lobData", new org.h2.mvstore.MVMap.Builder<Long, byte[]>()
                    .valueType(org.h2.mvstore.type.ByteArrayDataType.INSTANCE)).sizeAsLong() : 0;
            assertThat(blocks > 0).isEqualTo(inLobMaps);
        }
    }
}
