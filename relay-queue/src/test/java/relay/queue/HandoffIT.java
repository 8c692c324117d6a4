package relay.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static relay.queue.QueueFixture.envelope;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import relay.core.delivery.Outcome;
import relay.core.mail.Envelope;
import relay.core.mail.QueueId;

/**
 * Fresh mail handed from the spool straight to the scheduler ({@link Handoff}): delivered
 * without a poll, from the bytes kept in memory, recorded in one transaction when all went well
 * and as any attempt otherwise; and never lost when the scheduler is full or stops.
 */
class HandoffIT {

    /** Long enough that nothing in these tests is delivered by a timed poll. */
    private static final Duration NO_POLL = Duration.ofHours(1);

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

    private Scheduler started(ScriptedAgent agent, Duration poll, int maxSlots) throws Exception {
        Scheduler s = q.scheduler(agent, poll, "relay-test", maxSlots);
        s.start();
        return s;
    }

    private static ConditionFactory eventually() {
        return await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(10));
    }

    private static Outcome delivered() {
        return new Outcome.Delivered("2.0.0", "250 2.0.0 Ok", Optional.of("mx.dest.example"));
    }

    private static Outcome greylisted() {
        return new Outcome.Deferred("4.7.1", "451 4.7.1 Greylisted", Optional.of("mx.dest.example"));
    }

    @Test
    void freshMailIsDeliveredAndDeletedWithoutWaitingForAPoll() throws Exception {
        ScriptedAgent agent = ScriptedAgent.always(delivered());
        H2Spool spool = q.spoolWith(started(agent, NO_POLL, 10).handoff());
        byte[] body = QueueFixture.message("handed off");

        QueueId id = q.accept(spool, envelope("alice@origin.example", "bob@dest.example", "carol@dest.example"), body);

        eventually().until(() -> q.message(id).isEmpty());
        assertThat(agent.calls()).singleElement().satisfies(call -> {
            assertThat(call.request().id()).isEqualTo(id);
            assertThat(call.request().attempt()).isEqualTo(1);
            assertThat(call.request().last()).isFalse();
            assertThat(call.recipients()).containsExactly("bob@dest.example", "carol@dest.example");
            assertThat(call.request().message().size()).isEqualTo(body.length);
            assertThat(call.body()).isEqualTo(body);
        });
        assertThat(q.recipients(id)).isEmpty();
    }

    @Test
    void theRecipientsAreStoredLeasedToTheSchedulerUntilTheAttemptEnds() throws Exception {
        ScriptedAgent agent = ScriptedAgent.always(delivered());
        agent.hold();
        H2Spool spool = q.spoolWith(started(agent, NO_POLL, 10).handoff());

        QueueId id = q.accept(spool, envelope("alice@origin.example", "bob@dest.example"), QueueFixture.message("leased"));

        eventually().until(() -> agent.held() == 1);
        assertThat(q.recipient(id, "bob@dest.example")).satisfies(r -> {
            assertThat(r.state()).isEqualTo("DELIVERING");
            assertThat(r.leaseOwner()).isEqualTo("relay-test");
            assertThat(r.leaseUntil()).isEqualTo(QueueFixture.T0.plus(q.settings.lease()));
            assertThat(r.attempts()).isZero();
        });
        agent.release();
        eventually().until(() -> q.message(id).isEmpty());
    }

    /**
     * Every worker is busy, so the message waits in the scheduler; meanwhile its body in the
     * database is overwritten. A message of ordinary size is sent from the bytes kept at
     * acceptance; a bigger one is read from the database, so it shows the overwrite.
     */
    @ParameterizedTest(name = "{0} octets: sent from memory = {1}")
    @CsvSource({"1000, true", "131072, true", "131073, false"})
    void aHandedOffMessageIsSentFromMemoryUnlessItIsBig(int size, boolean fromMemory) throws Exception {
        ScriptedAgent agent = ScriptedAgent.always(delivered());
        agent.hold();
        H2Spool spool = q.spoolWith(started(agent, NO_POLL, 10).handoff());
        for (int i = 0; i < q.settings.workers(); i++) {
            q.accept(spool, envelope("a@origin.example", "busy" + i + "@dest" + i + ".example"), QueueFixture.message("busy"));
        }
        eventually().until(() -> agent.held() == q.settings.workers());
        byte[] body = sized(size);

        QueueId id = q.accept(spool, envelope("alice@origin.example", "bob@dest.example"), body);
        byte[] overwritten = body.clone();
        overwritten[overwritten.length - 3] = 'X';
        assertThat(q.update("UPDATE message SET body = ? WHERE id = ?", overwritten, id)).isEqualTo(1);
        agent.release();

        eventually().until(() -> q.message(id).isEmpty());
        ScriptedAgent.Call call = agent.calls().stream().filter(c -> c.request().id().equals(id)).findFirst().orElseThrow();
        assertThat(call.body()).isEqualTo(fromMemory ? body : overwritten);
        assertThat(call.request().message().size()).isEqualTo(size);
    }

    private static byte[] sized(int size) {
        byte[] head = "Subject: sized\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        byte[] body = new byte[size];
        Arrays.fill(body, (byte) 'a');
        System.arraycopy(head, 0, body, 0, head.length);
        for (int i = 100; i < size - 2; i += 100) {
            body[i] = '\r';
            body[i + 1] = '\n';
        }
        body[size - 2] = '\r';
        body[size - 1] = '\n';
        return body;
    }

    @Test
    void aDeferredFreshAttemptIsRecordedAndTheRetryComesFromThePoll() throws Exception {
        ScriptedAgent agent = new ScriptedAgent(r -> ScriptedAgent.each(r, r.attempt() == 1 ? greylisted() : delivered()));
        H2Spool spool = q.spoolWith(started(agent, Duration.ofMillis(20), 10).handoff());

        QueueId id = q.accept(spool, envelope("alice@origin.example", "bob@dest.example"), QueueFixture.message("greylisted"));

        eventually().until(() -> q.recipient(id, "bob@dest.example").state().equals("DEFERRED"));
        QueueFixture.RecipientRow row = q.recipient(id, "bob@dest.example");
        assertThat(row.attempts()).isEqualTo(1);
        assertThat(row.lastStatus()).isEqualTo("4.7.1");
        assertThat(row.leaseOwner()).isNull();
        assertThat(row.nextAttemptAt()).isAfter(QueueFixture.T0);

        q.clock.advance(Duration.ofMinutes(7));
        eventually().until(() -> q.message(id).isEmpty());
        assertThat(agent.calls()).extracting(c -> c.request().attempt()).containsExactly(1, 2);
    }

    @Test
    void aBouncedFreshAttemptSendsItsDsn() throws Exception {
        ScriptedAgent agent = ScriptedAgent.always(new Outcome.Bounced("5.1.1", "550 5.1.1 No such user",
                Optional.of("mx.dest.example")));
        H2Spool spool = q.spoolWith(started(agent, NO_POLL, 10).handoff());

        QueueId id = q.accept(spool, envelope("alice@origin.example", "nobody@dest.example"), QueueFixture.message("bounce"));

        eventually().until(() -> q.message(id).isEmpty());
        assertThat(q.nullSenderMessages()).hasSize(1);
    }

    /**
     * The two domains' attempts finish at the same moment; each records under the message row's
     * lock, so the second sees the first's outcome and deletes the message.
     */
    @Test
    void aMessageForTwoDomainsIsDeletedWhenBothAttemptsEndTogether() throws Exception {
        ScriptedAgent agent = ScriptedAgent.always(delivered());
        agent.hold();
        H2Spool spool = q.spoolWith(started(agent, NO_POLL, 10).handoff());
        List<QueueId> ids = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            ids.add(q.accept(spool, envelope("alice@origin.example", "bob@one.example", "carol@two.example"),
                    QueueFixture.message("two domains " + i)));
        }
        eventually().until(() -> agent.held() == 4);

        agent.release();

        for (QueueId id : ids) {
            eventually().until(() -> q.message(id).isEmpty());
        }
        assertThat(agent.calls()).hasSize(4);
        assertThat(q.count("SELECT COUNT(*) FROM recipient")).isZero();
    }

    @Test
    void whenTheSchedulerHoldsAllItTakesFreshMailWaitsInTheSpoolForAPoll() throws Exception {
        ScriptedAgent agent = ScriptedAgent.always(delivered());
        agent.hold();
        H2Spool spool = q.spoolWith(started(agent, Duration.ofMillis(20), 1).handoff());

        QueueId first = q.accept(spool, envelope("alice@origin.example", "bob@dest.example"), QueueFixture.message("first"));
        QueueId second = q.accept(spool, envelope("alice@origin.example", "carol@dest.example"), QueueFixture.message("second"));
        eventually().until(() -> agent.held() == 2);
        assertThat(q.recipient(second, "carol@dest.example").attempts()).isZero();

        agent.release();

        eventually().until(() -> q.message(first).isEmpty() && q.message(second).isEmpty());
        assertThat(agent.calls()).hasSize(2);
    }

    @Test
    void handedOffMailThatWasNotAttemptedIsDeliveredAfterARestart() throws Exception {
        ScriptedAgent stuck = ScriptedAgent.always(delivered());
        stuck.hold();
        Scheduler first = started(stuck, NO_POLL, 100);
        H2Spool spool = q.spoolWith(first.handoff());
        List<QueueId> ids = new ArrayList<>();
        for (int i = 0; i < q.settings.workers() + 3; i++) {
            ids.add(q.accept(spool, envelope("alice@origin.example", "r" + i + "@dest" + i + ".example"),
                    QueueFixture.message("restart " + i)));
        }
        eventually().until(() -> stuck.held() == q.settings.workers());

        // the grace runs out with every worker stuck: the leases are handed back, nothing recorded
        first.stop(Duration.ofMillis(200));
        stuck.release();
        assertThat(q.count("SELECT COUNT(*) FROM recipient WHERE state = 'DELIVERING'")).isZero();

        ScriptedAgent agent = ScriptedAgent.always(delivered());
        started(agent, Duration.ofMillis(20), 100);
        for (QueueId id : ids) {
            eventually().until(() -> q.message(id).isEmpty());
        }
        assertThat(agent.calls()).hasSize(ids.size());
    }

    @Test
    void aStopRefusesNewSlotsSoLaterMailIsQueued() throws Exception {
        Scheduler s = started(ScriptedAgent.always(delivered()), NO_POLL, 10);
        s.stop(Duration.ofSeconds(1));

        assertThat(s.handoff().reserve()).isEmpty();
    }
}
