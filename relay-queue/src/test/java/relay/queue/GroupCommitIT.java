package relay.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import relay.core.spool.SpoolException;

/**
 * The group commit over a real H2 file. The first sync is held at a gate (a slow disk), so the
 * tests can line callers up behind it and see exactly which sync each one gets.
 */
class GroupCommitIT {

    @TempDir
    Path dir;

    private Database db;
    private GateableDataSource disk;
    private GroupCommit groupCommit;
    private final List<Caller> callers = new ArrayList<>();

    @BeforeEach
    void open() {
        db = Database.open(dir, 4);
        disk = new GateableDataSource(db.dataSource());
        groupCommit = new GroupCommit(disk, Duration.ZERO);
    }

    @AfterEach
    void close() {
        disk.open();
        groupCommit.close();
        callers.forEach(c -> c.thread.interrupt());
        db.close();
    }

    private interface Call {
        void run() throws Exception;
    }

    /** A thread of its own, so the test can see where it waits. */
    private record Caller(Thread thread, CompletableFuture<Void> done) {
    }

    private Caller start(String name, Call call) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                call.run();
                done.complete(null);
            } catch (Throwable e) {
                done.completeExceptionally(e);
            }
        }, name);
        t.setDaemon(true);
        Caller c = new Caller(t, done);
        callers.add(c);
        t.start();
        return c;
    }

    /** The caller is parked in awaitDurable's timed wait for its batch. */
    private static void awaitParked(Caller... cs) {
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(5)).until(() -> {
            for (Caller c : cs) {
                if (c.thread.getState() != Thread.State.TIMED_WAITING) {
                    return false;
                }
            }
            return true;
        });
    }

    @Test
    void awaitDurableReturnsOnlyAfterASync() throws Exception {
        disk.hold();
        Caller caller = start("caller", groupCommit::awaitDurable);
        disk.awaitHeld();
        awaitParked(caller);

        assertThat(caller.done()).isNotDone();
        assertThat(groupCommit.syncCount()).isZero();

        disk.open();
        caller.done().get(10, TimeUnit.SECONDS);
        assertThat(groupCommit.syncCount()).isEqualTo(1);

        // a later call never rides on a sync that finished before it arrived
        groupCommit.awaitDurable();
        assertThat(groupCommit.syncCount()).isEqualTo(2);
    }

    @Test
    void callersArrivingTogetherShareOneSync() throws Exception {
        disk.hold();
        Caller first = start("first", groupCommit::awaitDurable);
        disk.awaitHeld();
        Caller[] together = new Caller[10];
        for (int i = 0; i < together.length; i++) {
            together[i] = start("together-" + i, groupCommit::awaitDurable);
        }
        awaitParked(first);
        awaitParked(together);

        disk.open();
        first.done().get(10, TimeUnit.SECONDS);
        for (Caller c : together) {
            c.done().get(10, TimeUnit.SECONDS);
        }
        // one sync for the first caller, one for the ten that arrived while it ran
        assertThat(groupCommit.syncCount()).isEqualTo(2);
    }

    /** Idle, a lone caller is synced at once: a 30 s gather would time its awaitDurable out. */
    @Test
    void aLoneCallerIsNotKeptWaitingForCompany() throws Exception {
        try (GroupCommit patient = new GroupCommit(db.dataSource(), Duration.ofSeconds(30))) {
            patient.awaitDurable();
            patient.awaitDurable();

            assertThat(patient.syncCount()).isEqualTo(2);
        }
    }

    /**
     * Under load (the last batch had several callers) the next sync waits its gather time, so
     * callers arriving a little apart share one sync instead of one each.
     */
    @Test
    void underLoadCallersArrivingWithinTheGatherTimeShareOneSync() throws Exception {
        try (GroupCommit gathering = new GroupCommit(disk, Duration.ofSeconds(2))) {
            disk.hold();
            Caller first = start("first", gathering::awaitDurable);
            disk.awaitHeld();
            Caller[] together = new Caller[3];
            for (int i = 0; i < together.length; i++) {
                together[i] = start("together-" + i, gathering::awaitDurable);
            }
            awaitParked(first);
            awaitParked(together);
            disk.open();
            for (Caller c : together) {
                c.done().get(10, TimeUnit.SECONDS);
            }
            long before = gathering.syncCount();

            Caller[] apart = new Caller[4];
            for (int i = 0; i < apart.length; i++) {
                apart[i] = start("apart-" + i, gathering::awaitDurable);
                Thread.sleep(50);
            }
            for (Caller c : apart) {
                c.done().get(10, TimeUnit.SECONDS);
            }

            assertThat(gathering.syncCount() - before).isEqualTo(1);
        }
    }

    @Test
    void manyConcurrentCallersAllReturnOnFewerSyncsThanCalls() throws Exception {
        int threads = 16;
        int each = 25;
        CountDownLatch go = new CountDownLatch(1);
        List<Caller> all = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            all.add(start("c" + t, () -> {
                go.await();
                for (int i = 0; i < each; i++) {
                    groupCommit.awaitDurable();
                }
            }));
        }
        go.countDown();
        for (Caller c : all) {
            c.done().get(30, TimeUnit.SECONDS);
        }
        assertThat(groupCommit.syncCount()).isPositive().isLessThan((long) threads * each);
    }

    @Test
    void closeCompletesThePendingWaiters() throws Exception {
        disk.hold();
        Caller first = start("first", groupCommit::awaitDurable);
        disk.awaitHeld();
        Caller[] pending = new Caller[5];
        for (int i = 0; i < pending.length; i++) {
            pending[i] = start("pending-" + i, groupCommit::awaitDurable);
        }
        awaitParked(first);
        awaitParked(pending);
        Caller closer = start("closer", groupCommit::close);
        // close() has marked the group commit closed and waits for its thread to finish
        awaitParked(closer);

        disk.open();
        closer.done().get(10, TimeUnit.SECONDS);
        first.done().get(1, TimeUnit.SECONDS);
        for (Caller c : pending) {
            assertThat(c.done()).succeedsWithin(Duration.ofSeconds(1));
        }
        assertThat(groupCommit.syncCount()).isEqualTo(2);
    }

    @Test
    void afterCloseAwaitDurableIsASpoolException() {
        groupCommit.close();

        assertThatThrownBy(groupCommit::awaitDurable).isInstanceOf(SpoolException.class).hasMessageContaining("closed");
        // closing again is harmless
        groupCommit.close();
    }

    @Test
    void aFailedSyncIsASpoolExceptionAndTheNextSyncWorksAgain() throws Exception {
        SQLException broken = new SQLException("disk I/O error");
        disk.failWith(broken);

        assertThatThrownBy(groupCommit::awaitDurable).isInstanceOf(SpoolException.class).cause().isSameAs(broken);
        assertThat(groupCommit.syncCount()).isZero();

        disk.failWith(null);
        groupCommit.awaitDurable();
        assertThat(groupCommit.syncCount()).isEqualTo(1);
    }

    @Test
    void aSyncOnAClosedDatabaseIsASpoolException() throws Exception {
        groupCommit.awaitDurable();
        db.close();

        assertThatThrownBy(groupCommit::awaitDurable).isInstanceOf(SpoolException.class);
    }
}
