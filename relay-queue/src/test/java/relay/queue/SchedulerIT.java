package relay.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static relay.queue.QueueFixture.addr;
import static relay.queue.QueueFixture.envelope;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.Callable;
import org.awaitility.core.ConditionFactory;
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

/**
 * The scheduler over a real spool: mail goes in through {@link H2Spool}, a scripted agent plays
 * the outside world, and the test moves a {@link MutableClock} to make retries due.
 */
class SchedulerIT {

    private static final Duration POLL = Duration.ofMillis(20);
    private static final Duration PAST_FIRST_RETRY = Duration.ofMinutes(7);

    @TempDir
    Path dir;

    private QueueFixture q;

    @BeforeEach
    void open() {
        q = new QueueFixture(dir);
    }

    @AfterEach
    void close() {
        q.close();
    }

    private Scheduler scheduler(ScriptedAgent agent, String owner) {
        return q.scheduler(agent, POLL, owner, Scheduler.MAX_SLOTS);
    }

    private Scheduler started(ScriptedAgent agent) throws Exception {
        Scheduler s = scheduler(agent, "relay-test");
        s.start();
        return s;
    }

    private static ConditionFactory eventually() {
        return await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(10));
    }

    private void awaitGone(QueueId id) {
        eventually().until(() -> q.message(id).isEmpty());
    }

    private void awaitState(QueueId id, String address, String state) {
        eventually().until(() -> q.recipient(id, address).state().equals(state));
    }

    /** Waits until the dispatcher has been round its loop a few more times (each claim reads the clock). */
    private void awaitDispatcherPasses(int passes, Callable<Boolean> orElse) {
        long from = q.clock.reads();
        eventually().until(() -> q.clock.reads() >= from + passes || orElse.call());
    }

    private static Outcome delivered() {
        return new Outcome.Delivered("2.0.0", "250 2.0.0 Ok", Optional.of("mx.dest.example"));
    }

    private static Outcome greylisted() {
        return new Outcome.Deferred("4.7.1", "451 4.7.1 Greylisted", Optional.of("mx.dest.example"));
    }

    /** Defers the first {@code n} attempts, delivers after that. */
    private static ScriptedAgent deferring(int n) {
        return new ScriptedAgent(r -> ScriptedAgent.each(r, r.attempt() <= n ? greylisted() : delivered()));
    }

    @Test
    void acceptedMailIsDeliveredAndLeavesTheQueue() throws Exception {
        ScriptedAgent agent = ScriptedAgent.always(delivered());
        started(agent);
        Envelope envelope = new Envelope(Optional.of(addr("Alice.Smith@origin.example")),
                List.of(addr("Bob@dest.example"), addr("carol@other.example")), false, true);
        byte[] body = QueueFixture.message("to be delivered");

        QueueId id = q.accept(envelope, body);

        awaitGone(id);
        assertThat(agent.calls()).hasSize(2);
        assertThat(agent.calls()).allSatisfy(call -> {
            DeliveryRequest r = call.request();
            assertThat(r.id()).isEqualTo(id);
            assertThat(r.envelope()).isEqualTo(envelope);
            assertThat(r.attempt()).isEqualTo(1);
            assertThat(r.message().size()).isEqualTo(body.length);
            assertThat(call.body()).isEqualTo(body);
        });
        assertThat(agent.callsFor("dest.example")).singleElement()
                .satisfies(c -> assertThat(c.recipients()).containsExactly("Bob@dest.example"));
        assertThat(agent.callsFor("other.example")).singleElement()
                .satisfies(c -> assertThat(c.recipients()).containsExactly("carol@other.example"));
        assertThat(q.store.depth().messages()).isZero();
    }

    @Test
    void aTemporaryFailureIsRetriedOnceTheRetryIsDue() throws Exception {
        ScriptedAgent agent = deferring(1);
        started(agent);
        QueueId id = q.accept("a@origin.example", "b@dest.example");
        awaitState(id, "b@dest.example", "DEFERRED");
        assertThat(q.recipient(id, "b@dest.example").nextAttemptAt()).isAfter(q.clock.peek());

        // not retried while the clock stands still
        awaitDispatcherPasses(5, () -> false);
        assertThat(agent.calls()).hasSize(1);

        q.clock.advance(PAST_FIRST_RETRY);
        awaitGone(id);
        assertThat(agent.calls()).extracting(c -> c.request().attempt()).containsExactly(1, 2);
    }

    @Test
    void anAgentThatThrowsDefersTheMailRatherThanLosingIt() throws Exception {
        ScriptedAgent agent = new ScriptedAgent(r -> {
            if (r.attempt() == 1) {
                throw new IllegalStateException("bug in the agent");
            }
            return ScriptedAgent.each(r, delivered());
        });
        started(agent);
        QueueId id = q.accept("a@origin.example", "b@dest.example", "c@dest.example");

        awaitState(id, "b@dest.example", "DEFERRED");
        assertThat(q.recipients(id)).allSatisfy(r -> {
            assertThat(r.state()).isEqualTo("DEFERRED");
            assertThat(r.lastStatus()).isEqualTo("4.3.0");
            assertThat(r.lastDiagnostic()).contains("bug in the agent");
            assertThat(r.leaseOwner()).isNull();
        });
        assertThat(q.message(id)).isPresent();
        assertThat(q.nullSenderMessages()).isEmpty();

        q.clock.advance(PAST_FIRST_RETRY);
        awaitGone(id);
        assertThat(agent.calls()).hasSize(2);
    }

    @ParameterizedTest(name = "lease left by {0}")
    @ValueSource(strings = {"a claim never applied", "a row set in SQL"})
    void leasesLeftByACrashedRunAreReleasedAtStartAndDelivered(String how) throws Exception {
        QueueId id = q.accept("a@origin.example", "b@dest.example", "c@dest.example");
        if (how.equals("a claim never applied")) {
            QueueStore crashed = new QueueStore(q.db.dataSource(), q.clock, q.settings, new Random(3));
            assertThat(crashed.claimDue(10, "relay-crashed")).hasSize(1);
        } else {
            q.update("UPDATE recipient SET state = 'DELIVERING', lease_owner = 'relay-crashed', lease_until = ?"
                    + " WHERE message_id = ?", q.clock.peek().plus(Duration.ofDays(1)), id);
        }
        assertThat(q.recipients(id)).allSatisfy(r -> assertThat(r.leaseOwner()).isEqualTo("relay-crashed"));
        ScriptedAgent agent = ScriptedAgent.always(delivered());

        started(agent);

        // delivered with the clock standing still: nobody waits for the dead lease to run out
        awaitGone(id);
        assertThat(agent.calls()).singleElement()
                .satisfies(c -> assertThat(c.recipients()).containsExactly("b@dest.example", "c@dest.example"));
    }

    @ParameterizedTest(name = "after {0} deferral(s) the rows are {1} again")
    @CsvSource({"0, QUEUED", "1, DEFERRED"})
    void stopHandsBackTheLeasesOfAttemptsStillRunning(int deferrals, String state) throws Exception {
        ScriptedAgent stuck = deferring(deferrals);
        Scheduler first = started(stuck);
        QueueId id;
        if (deferrals == 0) {
            stuck.hold();
            id = q.accept("a@origin.example", "b@dest.example", "c@dest.example");
        } else {
            id = q.accept("a@origin.example", "b@dest.example", "c@dest.example");
            awaitState(id, "b@dest.example", "DEFERRED");
            stuck.hold();
            q.clock.advance(PAST_FIRST_RETRY);
        }
        eventually().until(() -> stuck.held() == 1);

        first.stop(Duration.ofMillis(200));

        assertThat(q.recipients(id)).allSatisfy(r -> {
            assertThat(r.state()).isEqualTo(state);
            assertThat(r.attempts()).isEqualTo(deferrals);
            assertThat(r.leaseOwner()).isNull();
            assertThat(r.leaseUntil()).isNull();
            assertThat(r.nextAttemptAt()).isBeforeOrEqualTo(q.clock.peek());
        });

        // the stuck call finally returns: too late to record anything; the next run delivers
        stuck.release();
        ScriptedAgent next = ScriptedAgent.always(delivered());
        scheduler(next, "relay-next").start();
        awaitGone(id);
        assertThat(next.calls()).singleElement()
                .satisfies(c -> assertThat(c.request().attempt()).isEqualTo(deferrals + 1));
    }

    @Test
    void recipientsAtOneDomainGoInOneCallAndStayTogetherOnRetry() throws Exception {
        ScriptedAgent agent = deferring(1);
        started(agent);
        QueueId id = q.accept("a@origin.example", "r1@same.example", "r2@same.example", "x@other.example");
        eventually().until(() -> q.recipients(id).stream().allMatch(r -> r.state().equals("DEFERRED")));

        assertThat(agent.calls()).hasSize(2);
        assertThat(agent.callsFor("same.example")).singleElement()
                .satisfies(c -> assertThat(c.recipients()).containsExactly("r1@same.example", "r2@same.example"));

        // the moment the first of them is due, both go
        Instant firstDue = q.recipients(id).stream().filter(r -> r.domain().equals("same.example"))
                .map(QueueFixture.RecipientRow::nextAttemptAt).min(Comparator.naturalOrder()).orElseThrow();
        q.clock.set(firstDue);
        eventually().until(() -> agent.callsFor("same.example").size() >= 2);
        assertThat(agent.callsFor("same.example").get(1).recipients())
                .containsExactly("r1@same.example", "r2@same.example");
    }

    @Test
    void aLiveAttemptIsNotStartedAgainWhenItsLeaseRunsOut() throws Exception {
        ScriptedAgent slow = ScriptedAgent.always(delivered());
        slow.hold();
        started(slow);
        QueueId id = q.accept("a@origin.example", "b@dest.example", "c@dest.example");
        eventually().until(() -> slow.held() == 1);

        // a slow server keeps the attempt busy past its lease
        q.clock.advance(q.settings.lease().plusMinutes(1));
        awaitDispatcherPasses(5, () -> !slow.overlaps().isEmpty() || slow.inside() > 1);
        slow.release();

        awaitGone(id);
        assertThat(slow.overlaps()).isEmpty();
        assertThat(slow.calls()).hasSize(1);
    }

    @Test
    void noRecipientIsEverInTwoCallsAtOnceAndEachIsDeliveredOnce() throws Exception {
        // each recipient is deferred on a fixed, pseudo-random number of attempts (0-3)
        ScriptedAgent agent = new ScriptedAgent(r -> r.recipients().stream().map(a -> new RecipientOutcome(a,
                r.attempt() <= Math.floorMod((a + "#7").hashCode(), 4) ? greylisted() : delivered())).toList());
        started(agent);
        String[] domains = {"one.example", "two.example", "three.example"};
        List<QueueId> ids = new ArrayList<>();
        List<String> everyone = new ArrayList<>();
        for (int m = 0; m < 12; m++) {
            List<String> rcpts = new ArrayList<>();
            for (int r = 0; r <= m % 4; r++) {
                rcpts.add("u" + m + "r" + r + "@" + domains[(m + r) % 3]);
            }
            everyone.addAll(rcpts);
            ids.add(q.accept(envelope("s" + m + "@origin.example", rcpts.toArray(String[]::new)),
                    QueueFixture.message("m" + m)));
        }

        for (int round = 0; round < 60 && q.store.depth().messages() > 0; round++) {
            // quiet: nothing leased and nothing inside the agent; then move to the next due time
            eventually().until(() -> agent.inside() == 0
                    && q.count("SELECT COUNT(*) FROM recipient WHERE state = 'DELIVERING'") == 0);
            awaitDispatcherPasses(2, () -> false);
            if (q.count("SELECT COUNT(*) FROM recipient WHERE state = 'DELIVERING'") > 0) {
                continue;
            }
            Optional<Instant> nextDue = ids.stream().flatMap(id -> {
                try {
                    return q.recipients(id).stream();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }).filter(r -> r.state().equals("DEFERRED")).map(QueueFixture.RecipientRow::nextAttemptAt)
                    .min(Comparator.naturalOrder());
            nextDue.filter(t -> t.isAfter(q.clock.peek())).ifPresent(q.clock::set);
        }

        assertThat(q.store.depth().messages()).isZero();
        assertThat(agent.overlaps()).isEmpty();
        Map<String, Integer> deliveries = new HashMap<>();
        for (ScriptedAgent.Call call : agent.calls()) {
            for (RecipientOutcome o : call.outcomes()) {
                if (o.outcome() instanceof Outcome.Delivered) {
                    deliveries.merge(o.recipient().toString(), 1, Integer::sum);
                }
            }
            // one domain per call, and only that domain's recipients
            assertThat(call.request().recipients()).allSatisfy(
                    a -> assertThat(a.domain()).isEqualTo(call.request().domain()));
        }
        assertThat(deliveries.keySet()).containsExactlyInAnyOrderElementsOf(everyone);
        assertThat(deliveries.values()).containsOnly(1);
    }

    @Test
    void startReleasesNothingWhenNothingWasLeased() throws Exception {
        QueueId id = q.accept("a@origin.example", "b@dest.example");
        q.update("UPDATE recipient SET state = 'DEFERRED', attempts = 1, next_attempt_at = ? WHERE message_id = ?",
                q.clock.peek().plus(Duration.ofMinutes(10)), id);
        ScriptedAgent agent = ScriptedAgent.always(delivered());

        started(agent);

        // a deferral that is not due stays where it is: start() only frees leases
        awaitDispatcherPasses(5, () -> !agent.calls().isEmpty());
        assertThat(agent.calls()).isEmpty();
        assertThat(q.recipient(id, "b@dest.example").nextAttemptAt()).isEqualTo(q.clock.peek().plus(Duration.ofMinutes(10)));
        q.clock.advance(Duration.ofMinutes(10));
        awaitGone(id);
        assertThat(agent.calls()).singleElement().satisfies(c -> {
            assertThat(c.request().domain()).isEqualTo(new Domain("dest.example"));
            assertThat(c.request().attempt()).isEqualTo(2);
        });
    }
}
