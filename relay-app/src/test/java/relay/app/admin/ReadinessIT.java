package relay.app.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import relay.queue.Database;

/** Each readiness check against the real thing: an H2 database, a filesystem, a listener flag. */
class ReadinessIT {

    @TempDir
    Path dir;

    @Test
    void readyWhenTheDatabaseAnswersTheListenerIsBoundAndThereIsSpace() {
        try (Database db = Database.open(dir, 2)) {
            List<Readiness.Check> checks = new Readiness(db.dataSource(), () -> true, dir, 1).checks();

            assertThat(checks).extracting(Readiness.Check::check).containsExactly("database", "smtp-listener", "disk");
            assertThat(Readiness.ready(checks)).as(checks.toString()).isTrue();
        }
    }

    @Test
    void aClosedDatabaseIsNotReady() {
        Database db = Database.open(dir, 2);
        Readiness readiness = new Readiness(db.dataSource(), () -> true, dir, 1);
        db.close();

        List<Readiness.Check> checks = readiness.checks();

        assertThat(Readiness.ready(checks)).isFalse();
        assertThat(checks.get(0)).satisfies(c -> {
            assertThat(c.check()).isEqualTo("database");
            assertThat(c.ok()).isFalse();
            assertThat(c.detail()).startsWith("does not answer: ");
        });
        assertThat(checks.subList(1, 3)).allMatch(Readiness.Check::ok);
    }

    @Test
    void anUnboundListenerIsNotReady() {
        AtomicBoolean bound = new AtomicBoolean(true);
        try (Database db = Database.open(dir, 2)) {
            Readiness readiness = new Readiness(db.dataSource(), bound::get, dir, 1);
            assertThat(Readiness.ready(readiness.checks())).isTrue();

            bound.set(false);

            assertThat(readiness.checks().get(1)).isEqualTo(new Readiness.Check("smtp-listener", false, "not bound"));
        }
    }

    @Test
    void lessFreeSpaceThanTheMinimumIsNotReady() throws Exception {
        long free = Files.getFileStore(dir).getUsableSpace();
        try (Database db = Database.open(dir, 2)) {
            Readiness.Check disk = new Readiness(db.dataSource(), () -> true, dir, free + (1L << 40)).checks().get(2);

            assertThat(disk.check()).isEqualTo("disk");
            assertThat(disk.ok()).isFalse();
            assertThat(disk.detail()).contains(" MiB free in " + dir + ", minimum ");
        }
    }
}
