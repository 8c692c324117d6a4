package relay.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static relay.queue.QueueFixture.T0;
import static relay.queue.QueueFixture.addr;
import static relay.queue.QueueFixture.envelope;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import relay.core.delivery.DeliveryRequest;
import relay.core.delivery.Outcome;
import relay.core.delivery.RecipientOutcome;
import relay.core.mail.Domain;
import relay.core.mail.Envelope;
import relay.core.mail.QueueId;

class QueueStoreIT {

    private static final Duration LEASE = QueueFixture.SETTINGS.lease();
    private static final Duration LIFETIME = QueueFixture.SETTINGS.lifetime();

    @TempDir
    Path dir;

    private QueueFixture q;
    private QueueStore store;

    @BeforeEach
    void open() {
        q = new QueueFixture(dir);
        store = q.store;
    }

    @AfterEach
    void close() {
        q.close();
    }

    // ---- outcomes as the agent reports them

    private static Outcome delivered() {
        return new Outcome.Delivered("2.0.0", "250 2.0.0 Ok: queued as 4XyZ", Optional.of("mx1.dest.example"));
    }

    private static Outcome timedOut() {
        return new Outcome.Deferred("4.4.1", "connect to mx1.dest.example[192.0.2.1]:25: Connection timed out",
                Optional.empty());
    }

    private static Outcome greylisted() {
        return new Outcome.Deferred("4.7.1", "450 4.7.1 Greylisted, try again later", Optional.of("mx1.dest.example"));
    }

    private static Outcome userUnknown(String rcpt) {
        return new Outcome.Bounced("5.1.1", "550 5.1.1 <" + rcpt + ">: Recipient address rejected: User unknown",
                Optional.of("mx1.one.example"));
    }

    private static List<RecipientOutcome> each(DeliveryRequest request, Outcome o) {
        return request.recipients().stream().map(r -> new RecipientOutcome(r, o)).toList();
    }

    private static RecipientOutcome outcome(String rcpt, Outcome o) {
        return new RecipientOutcome(addr(rcpt), o);
    }

    /** Claims made along the way for groups the test has not attempted yet. */
    private final Map<String, Claim> held = new HashMap<>();

    /**
     * The claim for one group. claimDue leases every due group, so the claims for the other
     * groups are kept for when the test attempts them.
     */
    private Claim claim(QueueId id, String domain, String owner) throws Exception {
        for (Claim c : store.claimDue(100, owner)) {
            held.put(c.id() + "/" + c.domain() + "/" + c.owner(), c);
        }
        Claim c = held.remove(id + "/" + domain + "/" + owner);
        if (c == null) {
            throw new AssertionError("no claim for " + id + "/" + domain + " among " + held.keySet());
        }
        return c;
    }

    /** Claims the one group of a message, attempts it with {@code o} for every recipient. */
    private DeliveryRequest attempt(QueueId id, String domain, Outcome o) throws Exception {
        Claim c = claim(id, domain, "w1");
        DeliveryRequest request = store.load(c).orElseThrow();
        store.apply(c, each(request, o));
        return request;
    }

    private ParsedDsn dsn(QueueId id) throws Exception {
        return ParsedDsn.parse(q.message(id).orElseThrow().body());
    }

    // ---- claims and leases

    @Test
    void claimDueLeasesOneGroupPerMessageAndDomain() throws Exception {
        QueueId id = q.accept("a@origin.example", "b1@one.example", "c@two.example", "b2@one.example");

        List<Claim> claims = store.claimDue(10, "w1");

        assertThat(claims).containsExactlyInAnyOrder(new Claim(id, new Domain("one.example"), "w1"),
                new Claim(id, new Domain("two.example"), "w1"));
        assertThat(q.recipients(id)).allSatisfy(r -> {
            assertThat(r.state()).isEqualTo("DELIVERING");
            assertThat(r.leaseOwner()).isEqualTo("w1");
            assertThat(r.leaseUntil()).isEqualTo(T0.plus(LEASE));
        });
    }

    @Test
    void claimDueTakesTheOldestDueFirstAndAtMostMax() throws Exception {
        QueueId a = q.accept("a@origin.example", "x@dest.example");
        q.clock.advance(Duration.ofSeconds(1));
        QueueId b = q.accept("a@origin.example", "x@dest.example");
        q.clock.advance(Duration.ofSeconds(1));
        QueueId c = q.accept("a@origin.example", "x@dest.example");

        assertThat(store.claimDue(2, "w1")).extracting(Claim::id).containsExactly(a, b);
        assertThat(store.claimDue(2, "w1")).extracting(Claim::id).containsExactly(c);
        assertThat(store.claimDue(2, "w1")).isEmpty();
    }

    @ParameterizedTest(name = "{0} after the claim: claimable again = {1}")
    @CsvSource({
            // the lease is 30 minutes: live until then
            "PT0S, false",
            "PT10M, false",
            "PT29M59.999S, false",
            // run out: the first owner is presumed dead
            "PT30M, true",
            "PT3H, true",
    })
    void aLeasedGroupIsNotClaimedAgainUntilItsLeaseRunsOut(Duration later, boolean claimable) throws Exception {
        QueueId id = q.accept("a@origin.example", "b@dest.example", "c@dest.example");
        assertThat(store.claimDue(10, "w1")).hasSize(1);

        q.clock.advance(later);
        List<Claim> second = store.claimDue(10, "w2");

        if (claimable) {
            assertThat(second).containsExactly(new Claim(id, new Domain("dest.example"), "w2"));
            assertThat(q.recipients(id)).allSatisfy(r -> {
                assertThat(r.leaseOwner()).isEqualTo("w2");
                assertThat(r.leaseUntil()).isEqualTo(T0.plus(later).plus(LEASE));
                assertThat(r.attempts()).isZero();
            });
        } else {
            assertThat(second).isEmpty();
            assertThat(q.recipients(id)).allSatisfy(r -> assertThat(r.leaseOwner()).isEqualTo("w1"));
        }
    }

    @Test
    void anOwnerWhoseLeaseMovedOnCanNeitherLoadNorRecord() throws Exception {
        QueueId id = q.accept("a@origin.example", "b@dest.example");
        Claim stale = store.claimDue(10, "w1").get(0);
        q.clock.advance(LEASE.plusMinutes(1));
        Claim fresh = store.claimDue(10, "w2").get(0);

        assertThat(store.load(stale)).isEmpty();
        store.apply(stale, List.of(outcome("b@dest.example", delivered())));

        assertThat(q.recipient(id, "b@dest.example").state()).isEqualTo("DELIVERING");
        assertThat(q.recipient(id, "b@dest.example").leaseOwner()).isEqualTo("w2");
        DeliveryRequest request = store.load(fresh).orElseThrow();
        store.apply(fresh, each(request, delivered()));
        assertThat(q.message(id)).isEmpty();
    }

    @Test
    void releaseLeasesOfEveryoneMakesLeasedRowsDueAtOnce() throws Exception {
        QueueId retried = q.accept("a@origin.example", "c@two.example");
        attempt(retried, "two.example", timedOut());
        q.clock.set(q.recipient(retried, "c@two.example").nextAttemptAt());
        QueueId fresh = q.accept("a@origin.example", "b@one.example");
        assertThat(store.claimDue(10, "w1")).hasSize(2);
        q.clock.advance(Duration.ofMinutes(1));

        assertThat(store.releaseLeases(Optional.empty())).isEqualTo(2);

        Instant now = q.clock.peek();
        QueueFixture.RecipientRow b = q.recipient(fresh, "b@one.example");
        QueueFixture.RecipientRow c = q.recipient(retried, "c@two.example");
        assertThat(b.state()).isEqualTo("QUEUED");
        assertThat(c.state()).isEqualTo("DEFERRED");
        assertThat(List.of(b, c)).allSatisfy(r -> {
            assertThat(r.leaseOwner()).isNull();
            assertThat(r.leaseUntil()).isNull();
            assertThat(r.nextAttemptAt()).isEqualTo(now);
        });
        // due now, with the clock where it is: no waiting for the old lease to run out
        assertThat(store.claimDue(10, "w2")).extracting(Claim::id).containsExactlyInAnyOrder(fresh, retried);
    }

    @Test
    void releaseLeasesOfOneOwnerLeavesTheOthersAlone() throws Exception {
        QueueId mine = q.accept("a@origin.example", "b@dest.example");
        store.claimDue(10, "w1");
        QueueId theirs = q.accept("a@origin.example", "c@dest.example");
        store.claimDue(10, "w2");

        assertThat(store.releaseLeases(Optional.of("w1"))).isEqualTo(1);

        assertThat(q.recipient(mine, "b@dest.example").state()).isEqualTo("QUEUED");
        assertThat(q.recipient(theirs, "c@dest.example").state()).isEqualTo("DELIVERING");
        assertThat(q.recipient(theirs, "c@dest.example").leaseOwner()).isEqualTo("w2");
    }

    // ---- what an attempt sees

    /** The agent re-checks the MTA-STS policy only on the attempt whose deferral would be a bounce. */
    @Test
    void loadMarksTheAttemptAtOrAfterTheExpiryAsTheLast() throws Exception {
        QueueId id = q.accept("a@origin.example", "b@dest.example");
        assertThat(attempt(id, "dest.example", timedOut()).last()).isFalse();
        q.clock.set(T0.plus(LIFETIME).minusSeconds(1));
        assertThat(attempt(id, "dest.example", timedOut()).last()).isFalse();
        q.clock.set(T0.plus(LIFETIME));
        assertThat(attempt(id, "dest.example", timedOut()).last()).isTrue();
    }

    /** RFC 8461 §5.1 (STS-61): a policy failure whose re-check DNS could not answer is not bounced yet. */
    @Test
    void aPolicyFailureAwaitingItsRecheckIsNotBouncedAtTheExpiry() throws Exception {
        QueueId id = q.accept("a@origin.example", "b@dest.example");
        q.clock.set(T0.plus(LIFETIME));

        attempt(id, "dest.example", awaitingRecheck());

        assertThat(q.recipient(id, "b@dest.example").state()).isEqualTo("DEFERRED");
        assertThat(q.recipient(id, "b@dest.example").nextAttemptAt()).isAfter(q.clock.peek());
        assertThat(q.nullSenderMessages()).isEmpty();
    }

    /** ...but not forever: a day past the lifetime the sender gets the bounce, status made permanent. */
    @Test
    void aPolicyFailureAwaitingItsRecheckBouncesAfterTheGrace() throws Exception {
        QueueId id = q.accept("a@origin.example", "b@dest.example");
        q.clock.set(T0.plus(LIFETIME).plus(QueueStore.POLICY_CHECK_GRACE));

        attempt(id, "dest.example", awaitingRecheck());

        assertThat(q.message(id)).isEmpty();
        ParsedDsn dsn = dsn(q.nullSenderMessages().get(0));
        assertThat(dsn.recipientBlocks().get(0).getHeader("Status", null)).isEqualTo("5.7.5");
        assertThat((String) dsn.part(0).getContent()).contains("MTA-STS");
    }

    private static Outcome awaitingRecheck() {
        return new Outcome.Deferred("4.7.5", "MTA-STS: certificate not trusted for mx1.dest.example; MTA-STS policy"
                + " re-check failed: SERVFAIL", Optional.of("mx1.dest.example"), Outcome.Expiry.AWAIT_POLICY_CHECK);
    }

    @Test
    void loadGivesTheLeasedRecipientsTheWholeEnvelopeAndTheBody() throws Exception {
        byte[] body = (new String(QueueFixture.message("load"), StandardCharsets.ISO_8859_1) + "caf\u00e9 \u00ff\r\n")
                .getBytes(StandardCharsets.ISO_8859_1);
        Envelope envelope = new Envelope(Optional.of(addr("Alice.Smith@origin.example")),
                List.of(addr("a@one.example"), addr("b@two.example"), addr("C@one.example")), false, true);
        QueueId id = q.accept(envelope, body);

        DeliveryRequest one = store.load(claim(id, "one.example", "w1")).orElseThrow();

        assertThat(one.id()).isEqualTo(id);
        assertThat(one.domain()).isEqualTo(new Domain("one.example"));
        assertThat(one.recipients()).containsExactly(addr("a@one.example"), addr("C@one.example"));
        assertThat(one.envelope()).isEqualTo(envelope);
        assertThat(one.attempt()).isEqualTo(1);
        assertThat(one.message().size()).isEqualTo(body.length);
        for (int i = 0; i < 2; i++) {
            try (InputStream in = one.message().open()) {
                assertThat(in.readAllBytes()).isEqualTo(body);
            }
        }
    }

    @Test
    void loadCountsTheAttempts() throws Exception {
        QueueId id = q.accept("a@origin.example", "b@dest.example");
        for (int n = 1; n <= 4; n++) {
            q.clock.set(q.recipient(id, "b@dest.example").nextAttemptAt());
            DeliveryRequest request = attempt(id, "dest.example", greylisted());
            assertThat(request.attempt()).isEqualTo(n);
        }
    }

    // ---- recording outcomes

    @Test
    void deliveredRecipientsAreFinalAndTheMessageGoesWhenAllAre() throws Exception {
        QueueId id = q.accept("a@origin.example", "b@one.example", "c@two.example");

        attempt(id, "one.example", delivered());

        QueueFixture.RecipientRow b = q.recipient(id, "b@one.example");
        assertThat(b.state()).isEqualTo("DELIVERED");
        assertThat(b.attempts()).isEqualTo(1);
        assertThat(b.leaseOwner()).isNull();
        assertThat(b.lastStatus()).isEqualTo("2.0.0");
        assertThat(b.remoteMta()).isEqualTo("mx1.dest.example");
        assertThat(q.message(id)).isPresent();

        attempt(id, "two.example", delivered());

        assertThat(q.message(id)).isEmpty();
        assertThat(q.count("SELECT COUNT(*) FROM recipient WHERE message_id = ?", id)).isZero();
        assertThat(q.nullSenderMessages()).isEmpty();
    }

    @Test
    void deferredRecipientsWaitWithinTheRetryWindow() throws Exception {
        QueueId id = q.accept("a@origin.example", "b@dest.example");
        for (int n = 1; n <= 7; n++) {
            Instant now = q.clock.peek();
            attempt(id, "dest.example", greylisted());

            QueueFixture.RecipientRow r = q.recipient(id, "b@dest.example");
            long base = Math.min(Duration.ofMinutes(5).toMillis() << (n - 1), Duration.ofHours(1).toMillis());
            assertThat(r.state()).isEqualTo("DEFERRED");
            assertThat(r.attempts()).isEqualTo(n);
            assertThat(r.leaseOwner()).isNull();
            assertThat(r.leaseUntil()).isNull();
            assertThat(r.lastStatus()).isEqualTo("4.7.1");
            assertThat(r.lastDiagnostic()).isEqualTo("450 4.7.1 Greylisted, try again later");
            assertThat(r.remoteMta()).isEqualTo("mx1.dest.example");
            assertThat(r.nextAttemptAt()).isBetween(now.plusMillis((long) (base * 0.8)), now.plusMillis((long) (base * 1.2)));

            // not due a millisecond early; due on time
            q.clock.set(r.nextAttemptAt().minusMillis(1));
            assertThat(store.claimDue(10, "w1")).isEmpty();
            q.clock.set(r.nextAttemptAt());
        }
    }

    @Test
    void recipientsDeferredTogetherAreRetriedTogether() throws Exception {
        QueueId id = q.accept("a@origin.example", "b@dest.example", "c@dest.example", "d@dest.example");
        attempt(id, "dest.example", timedOut());

        List<Instant> next = q.recipients(id).stream().map(QueueFixture.RecipientRow::nextAttemptAt).distinct().toList();

        // one (message, domain) group, one retry time: the next attempt is again one transaction
        assertThat(next).hasSize(1);
        q.clock.set(next.get(0));
        assertThat(store.load(claim(id, "dest.example", "w1")).orElseThrow().recipients()).hasSize(3);
    }

    @ParameterizedTest(name = "deferred {0} after the expiry")
    @ValueSource(strings = {"PT0S", "PT0.001S", "PT6H", "P2D"})
    void aDeferralAtOrAfterTheExpiryBouncesWithADsnToTheSender(Duration late) throws Exception {
        byte[] original = QueueFixture.message("Quarterly report");
        QueueId id = q.accept(envelope("Alice.Smith@origin.example", "Bob.Jones@dest.example"), original);
        q.clock.set(T0.plus(LIFETIME).plus(late));

        attempt(id, "dest.example", timedOut());

        // the original is final and gone; exactly one new message: the report
        assertThat(q.message(id)).isEmpty();
        List<QueueId> dsns = q.nullSenderMessages();
        assertThat(dsns).hasSize(1);
        QueueId dsnId = dsns.get(0);
        QueueFixture.MessageRow m = q.message(dsnId).orElseThrow();
        assertThat(m.sender()).isNull();
        assertThat(m.expiresAt()).isEqualTo(q.clock.peek().plus(LIFETIME));
        assertThat(q.recipients(dsnId)).singleElement().satisfies(r -> {
            assertThat(r.address()).isEqualTo("Alice.Smith@origin.example");
            assertThat(r.state()).isEqualTo("QUEUED");
        });
        ParsedDsn dsn = dsn(dsnId);
        assertThat(dsn.finalRecipients()).containsExactly("rfc822; Bob.Jones@dest.example");
        assertThat(dsn.recipientBlocks().get(0).getHeader("Action", null)).isEqualTo("failed");
        // the last status the agent gave, made permanent (RFC 3464 §2.3.4: a failed action), and
        // no Remote-MTA: nobody answered
        assertThat(dsn.recipientBlocks().get(0).getHeader("Status", null)).isEqualTo("5.4.1");
        assertThat(dsn.recipientBlocks().get(0).getHeader("Remote-MTA")).isNull();
        assertThat((String) dsn.part(0).getContent()).contains("Connection timed out");
        assertThat(dsn.report().getReturnedMessage().getSubject()).isEqualTo("Quarterly report");
        assertThat(dsn.message().getHeader("To", null)).isEqualTo("Alice.Smith@origin.example");
    }

    @Test
    void theLastRetryBeforeTheExpiryHappensAtTheExpiry() throws Exception {
        QueueId id = q.accept("a@origin.example", "b@dest.example");
        Instant expires = T0.plus(LIFETIME);
        q.clock.set(expires.minus(Duration.ofMinutes(1)));

        attempt(id, "dest.example", timedOut());

        QueueFixture.RecipientRow r = q.recipient(id, "b@dest.example");
        assertThat(r.state()).isEqualTo("DEFERRED");
        assertThat(r.nextAttemptAt()).isEqualTo(expires);
        q.clock.set(expires);
        DeliveryRequest last = attempt(id, "dest.example", timedOut());

        assertThat(last.attempt()).isEqualTo(2);
        // bounced, reported, and with every recipient final the message is gone
        assertThat(q.message(id)).isEmpty();
        assertThat(q.nullSenderMessages()).hasSize(1);
    }

    @ParameterizedTest(name = "the other recipient then {0}")
    @CsvSource({
            // the rest delivered later: the one report stays the only one
            "delivered, 1",
            // the rest expires later: a second report, about the rest only
            "expires, 2",
    })
    void aPermanentFailureIsReportedAtOnceAndOnlyOnce(String rest, int reports) throws Exception {
        QueueId id = q.accept(envelope("Alice.Smith@origin.example", "Bob@one.example", "carol@two.example"),
                QueueFixture.message("two recipients"));
        Claim one = claim(id, "one.example", "w1");
        Claim two = claim(id, "two.example", "w1");
        store.apply(two, List.of(outcome("carol@two.example", greylisted())));

        store.apply(one, List.of(outcome("Bob@one.example", userUnknown("Bob@one.example"))));

        // reported while carol still waits
        assertThat(q.message(id)).isPresent();
        assertThat(q.recipient(id, "carol@two.example").state()).isEqualTo("DEFERRED");
        assertThat(q.recipient(id, "Bob@one.example").state()).isEqualTo("BOUNCED");
        assertThat(q.recipient(id, "Bob@one.example").notified()).isTrue();
        List<QueueId> first = q.nullSenderMessages();
        assertThat(first).hasSize(1);
        ParsedDsn bob = dsn(first.get(0));
        assertThat(bob.finalRecipients()).containsExactly("rfc822; Bob@one.example");
        assertThat(bob.recipientBlocks().get(0).getHeader("Status", null)).isEqualTo("5.1.1");
        assertThat(bob.recipientBlocks().get(0).getHeader("Remote-MTA", null)).isEqualTo("dns; mx1.one.example");
        assertThat(bob.recipientBlocks().get(0).getHeader("Diagnostic-Code", null))
                .isEqualTo("smtp; 550 5.1.1 <Bob@one.example>: Recipient address rejected: User unknown");

        if (rest.equals("delivered")) {
            q.clock.set(q.recipient(id, "carol@two.example").nextAttemptAt());
            attempt(id, "two.example", delivered());
        } else {
            q.clock.set(T0.plus(LIFETIME));
            attempt(id, "two.example", greylisted());
        }

        assertThat(q.message(id)).isEmpty();
        List<QueueId> all = q.nullSenderMessages();
        assertThat(all).hasSize(reports).contains(first.get(0));
        List<String> reported = new ArrayList<>();
        for (QueueId dsnId : all) {
            reported.addAll(dsn(dsnId).finalRecipients());
        }
        // Bob is in exactly one report, however the rest ends
        assertThat(reported).containsOnlyOnce("rfc822; Bob@one.example").doesNotHaveDuplicates();
        if (reports == 2) {
            assertThat(reported).contains("rfc822; carol@two.example");
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"5xx", "lifetime"})
    void mailFromTheNullSenderIsNeverReportedOn(String how) throws Exception {
        QueueId id = q.accept(envelope(null, "bob@dest.example", "carol@other.example"), QueueFixture.message("a DSN"));
        Outcome o;
        if (how.equals("5xx")) {
            o = userUnknown("bob@dest.example");
        } else {
            q.clock.set(T0.plus(LIFETIME));
            o = timedOut();
        }

        attempt(id, "dest.example", o);

        // RFC 5321 §6.1, RFC 3464 §2: no report about a report; the message itself waits for carol
        assertThat(q.recipient(id, "bob@dest.example").state()).isEqualTo("BOUNCED");
        assertThat(q.count("SELECT COUNT(*) FROM message")).isEqualTo(1);
        assertThat(q.message(id)).isPresent();

        attempt(id, "other.example", userUnknown("carol@other.example"));

        assertThat(q.count("SELECT COUNT(*) FROM message")).isZero();
    }

    @Test
    void aRecipientTheAgentSaidNothingAboutIsDeferredAsALocalError() throws Exception {
        QueueId id = q.accept("a@origin.example", "a@one.example", "b@one.example", "c@two.example");
        List<Claim> claims = store.claimDue(10, "w1");
        Claim one = claims.stream().filter(c -> c.domain().name().equals("one.example")).findFirst().orElseThrow();

        // an outcome for b is missing; the one for c is not this claim's to give
        store.apply(one, List.of(outcome("a@one.example", delivered()), outcome("c@two.example", delivered())));

        assertThat(q.recipient(id, "a@one.example").state()).isEqualTo("DELIVERED");
        QueueFixture.RecipientRow b = q.recipient(id, "b@one.example");
        assertThat(b.state()).isEqualTo("DEFERRED");
        assertThat(b.lastStatus()).isEqualTo("4.3.0");
        assertThat(b.attempts()).isEqualTo(1);
        assertThat(b.nextAttemptAt()).isAfter(q.clock.peek());
        QueueFixture.RecipientRow c = q.recipient(id, "c@two.example");
        assertThat(c.state()).isEqualTo("DELIVERING");
        assertThat(c.attempts()).isZero();
    }

    @Test
    void depthCountsMessagesAndKnowsTheOldest() throws Exception {
        assertThat(store.depth().messages()).isZero();
        assertThat(store.depth().oldest()).isEmpty();
        assertThat(store.depth().oldestAge(T0)).isEqualTo(Duration.ZERO);

        QueueId first = q.accept("a@origin.example", "b@dest.example");
        q.clock.advance(Duration.ofMinutes(5));
        q.accept("a@origin.example", "c@other.example", "d@dest.example");

        QueueStore.QueueDepth depth = store.depth();
        assertThat(depth.messages()).isEqualTo(2);
        assertThat(depth.oldest()).contains(T0);
        assertThat(depth.oldestAge(T0.plus(Duration.ofHours(1)))).isEqualTo(Duration.ofHours(1));

        attempt(first, "dest.example", delivered());

        assertThat(store.depth().messages()).isEqualTo(1);
        assertThat(store.depth().oldest()).contains(T0.plus(Duration.ofMinutes(5)));
    }

    @Test
    void aGeneratedDsnIsDeliverableMailLikeAnyOther() throws Exception {
        QueueId id = q.accept("Alice.Smith@origin.example", "bob@dest.example");
        attempt(id, "dest.example", userUnknown("bob@dest.example"));
        QueueId dsnId = q.nullSenderMessages().get(0);

        DeliveryRequest request = store.load(claim(dsnId, "origin.example", "w1")).orElseThrow();

        assertThat(request.envelope().sender()).isEmpty();
        assertThat(request.envelope().reversePath()).isEqualTo("<>");
        assertThat(request.recipients()).containsExactly(addr("Alice.Smith@origin.example"));
        try (InputStream in = request.message().open()) {
            assertThat(Arrays.equals(in.readAllBytes(), q.message(dsnId).orElseThrow().body())).isTrue();
        }
    }

    /**
     * Two attempts at the two domains of one message record at the same moment. Without the
     * message row's lock each transaction sees the other's recipient still leased, neither
     * deletes the message, and it stays in the spool for ever with every recipient final.
     */
    @Test
    void twoAttemptsRecordingAtOnceStillDeleteTheirMessage() throws Exception {
        QueueId id = q.accept("alice@origin.example", "bob@one.example", "carol@two.example");
        List<Claim> claims = q.store.claimDue(10, "relay-test");
        assertThat(claims).hasSize(2);
        QueueStore racing = new QueueStore(new CommitBarrierDataSource(q.db.dataSource(), 2, Duration.ofSeconds(1)),
                q.clock, q.settings, new java.util.Random(7));
        Outcome ok = new Outcome.Delivered("2.0.0", "250 Ok", Optional.of("mx.example"));

        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        for (Claim claim : claims) {
            DeliveryRequest request = q.store.load(claim).orElseThrow();
            Thread t = new Thread(() -> {
                try {
                    racing.apply(claim, ScriptedAgent.each(request, ok));
                } catch (Throwable e) {
                    failures.add(e);
                }
            });
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join(20_000);
        }

        assertThat(failures).isEmpty();
        assertThat(q.message(id)).isEmpty();
        assertThat(q.recipients(id)).isEmpty();
    }
}
