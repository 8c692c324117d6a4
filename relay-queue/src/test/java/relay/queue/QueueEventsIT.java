package relay.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import relay.core.delivery.DeliveryRequest;
import relay.core.delivery.Outcome;
import relay.core.delivery.RecipientOutcome;

/** The queue tells its observer each recipient's committed outcome and the time since arrival. */
class QueueEventsIT {

    @TempDir
    Path dir;

    private QueueFixture q;
    private final List<String> told = new CopyOnWriteArrayList<>();
    private QueueStore store;

    @BeforeEach
    void open() {
        q = new QueueFixture(dir);
        store = new QueueStore(q.db.dataSource(), q.clock, q.settings, new Random(1), new QueueEvents() {
            @Override
            public void delivered(Duration sinceArrival) {
                told.add("delivered " + sinceArrival);
            }

            @Override
            public void deferred(Duration sinceArrival) {
                told.add("deferred " + sinceArrival);
            }

            @Override
            public void bounced(Duration sinceArrival) {
                told.add("bounced " + sinceArrival);
            }
        });
    }

    @AfterEach
    void close() {
        q.close();
    }

    @Test
    void eachRecipientsOutcomeIsToldOnceWithTheTimeSinceArrival() throws Exception {
        q.accept("a@origin.example", "ok@dest.example", "later@dest.example", "gone@dest.example");
        q.clock.advance(Duration.ofSeconds(42));
        Claim claim = store.claimDue(10, "w1").get(0);
        DeliveryRequest request = store.load(claim).orElseThrow();

        store.apply(claim, List.of(
                new RecipientOutcome(QueueFixture.addr("ok@dest.example"),
                        new Outcome.Delivered("2.0.0", "250 ok", Optional.of("mx"))),
                new RecipientOutcome(QueueFixture.addr("later@dest.example"),
                        new Outcome.Deferred("4.7.1", "450 greylisted", Optional.of("mx"))),
                new RecipientOutcome(QueueFixture.addr("gone@dest.example"),
                        new Outcome.Bounced("5.1.1", "550 no such user", Optional.of("mx")))));

        assertThat(request.recipients()).hasSize(3);
        assertThat(told).containsExactlyInAnyOrder("delivered PT42S", "deferred PT42S", "bounced PT42S");
    }

    @Test
    void aDeferralPastTheLifetimeIsToldAsABounce() throws Exception {
        q.accept("a@origin.example", "late@dest.example");
        q.clock.advance(q.settings.lifetime());
        Claim claim = store.claimDue(10, "w1").get(0);
        store.load(claim).orElseThrow();

        store.apply(claim, List.of(new RecipientOutcome(QueueFixture.addr("late@dest.example"),
                new Outcome.Deferred("4.4.1", "timed out", Optional.empty()))));

        assertThat(told).containsExactly("bounced " + q.settings.lifetime());
    }
}
