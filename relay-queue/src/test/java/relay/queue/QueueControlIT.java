package relay.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static relay.queue.QueueFixture.T0;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import relay.core.delivery.DeliveryRequest;
import relay.core.delivery.Outcome;
import relay.core.delivery.RecipientOutcome;
import relay.core.mail.QueueId;

/** The operator's views and actions on a real spool: list, show, retry, flush, delete. */
class QueueControlIT {

    @TempDir
    Path dir;

    private QueueFixture q;
    private QueueControl control;

    @BeforeEach
    void open() {
        q = new QueueFixture(dir);
        control = new QueueControl(q.db.dataSource(), q.clock, q.signal);
    }

    @AfterEach
    void close() {
        q.close();
    }

    private static final Outcome GREYLISTED = new Outcome.Deferred("4.7.1", "450 4.7.1 Greylisted",
            Optional.of("mx1.dest.example"));

    /** Claims every due group and defers each of its recipients once. */
    private void deferAll() throws Exception {
        for (Claim c : q.store.claimDue(100, "w1")) {
            DeliveryRequest r = q.store.load(c).orElseThrow();
            q.store.apply(c, r.recipients().stream().map(a -> new RecipientOutcome(a, GREYLISTED)).toList());
        }
    }

    @Test
    void listShowsMessagesOldestFirstWithEachRecipientsState() throws Exception {
        QueueId first = q.accept("a@origin.example", "b@dest.example", "c@other.example");
        q.clock.advance(Duration.ofSeconds(5));
        QueueId second = q.accept(null, "d@dest.example");
        q.clock.advance(Duration.ofSeconds(5));
        q.accept("a@origin.example", "e@dest.example");

        List<QueueControl.MessageView> two = control.list(2);

        assertThat(two).extracting(QueueControl.MessageView::id).containsExactly(first, second);
        QueueControl.MessageView m = two.get(0);
        assertThat(m.sender()).contains("a@origin.example");
        assertThat(m.arrival()).isEqualTo(T0);
        assertThat(m.size()).isPositive();
        assertThat(m.recipients()).extracting(QueueStore.RecipientView::address)
                .containsExactly("b@dest.example", "c@other.example");
        assertThat(m.recipients()).allSatisfy(r -> {
            assertThat(r.state()).isEqualTo("QUEUED");
            assertThat(r.attempts()).isZero();
        });
        assertThat(two.get(1).sender()).as("the null sender <>").isEmpty();
        assertThat(control.list(100)).hasSize(3);
    }

    @Test
    void showCarriesTheLastReplyOfADeferredRecipient() throws Exception {
        QueueId id = q.accept("a@origin.example", "b@dest.example");
        deferAll();

        QueueStore.RecipientView r = control.message(id).orElseThrow().recipients().get(0);

        assertThat(r.state()).isEqualTo("DEFERRED");
        assertThat(r.attempts()).isEqualTo(1);
        assertThat(r.nextAttemptAt()).isAfter(T0);
        assertThat(r.lastStatus()).contains("4.7.1");
        assertThat(r.lastDiagnostic()).contains("450 4.7.1 Greylisted");
        assertThat(r.remoteMta()).contains("mx1.dest.example");
        assertThat(control.message(new QueueId("0000000000AAAAAAAA"))).isEmpty();
    }

    @Test
    void retryNowMakesOnlyThatMessagesDeferredRecipientsDue() throws Exception {
        QueueId one = q.accept("a@origin.example", "b@dest.example");
        QueueId other = q.accept("a@origin.example", "c@dest.example");
        deferAll();
        assertThat(q.store.claimDue(100, "w2")).as("nothing due before the retry").isEmpty();

        assertThat(control.retryNow(one)).isEqualTo(OptionalInt.of(1));

        assertThat(q.recipient(one, "b@dest.example").nextAttemptAt()).isEqualTo(T0);
        assertThat(q.store.claimDue(100, "w2")).extracting(Claim::id).containsExactly(one);
        assertThat(q.recipient(other, "c@dest.example").nextAttemptAt()).isAfter(T0);
        assertThat(control.retryNow(new QueueId("0000000000AAAAAAAA"))).isEmpty();
    }

    @Test
    void retryAllMakesEveryDeferredRecipientDue() throws Exception {
        QueueId one = q.accept("a@origin.example", "b@dest.example");
        QueueId other = q.accept("a@origin.example", "c@other.example");
        deferAll();

        assertThat(control.retryAll()).isEqualTo(2);

        assertThat(q.store.claimDue(100, "w2")).extracting(Claim::id).containsExactlyInAnyOrder(one, other);
        assertThat(control.retryAll()).as("leased now, not deferred").isZero();
    }

    @Test
    void deleteRemovesTheMessageAndItsRecipientsWithoutADsn() throws Exception {
        QueueId id = q.accept("a@origin.example", "b@dest.example", "c@dest.example");
        deferAll();

        assertThat(control.delete(id)).isEqualTo(QueueControl.Removal.DELETED);

        assertThat(q.message(id)).isEmpty();
        assertThat(q.count("SELECT COUNT(*) FROM recipient WHERE message_id = ?", id)).isZero();
        assertThat(q.nullSenderMessages()).as("no DSN").isEmpty();
        assertThat(control.delete(id)).isEqualTo(QueueControl.Removal.NOT_FOUND);
    }

    @Test
    void deleteLeavesAMessageWithALiveLeaseAlone() throws Exception {
        QueueId id = q.accept("a@origin.example", "b@dest.example");
        assertThat(q.store.claimDue(10, "w1")).hasSize(1);

        assertThat(control.delete(id)).isEqualTo(QueueControl.Removal.DELIVERING);
        assertThat(q.message(id)).isPresent();

        q.clock.advance(QueueFixture.SETTINGS.lease());
        assertThat(control.delete(id)).as("the lease ran out: its worker is presumed dead")
                .isEqualTo(QueueControl.Removal.DELETED);
    }
}
