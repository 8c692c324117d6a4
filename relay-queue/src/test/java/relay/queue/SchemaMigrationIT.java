package relay.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import relay.core.mail.QueueId;

/** A spool written by an older relay opens under the current schema, with its mail intact. */
class SchemaMigrationIT {

    @TempDir
    Path dir;

    /** V3: the recipient table's foreign key no longer cascades; deletes go through the queue. */
    @Test
    void aVersion2SpoolGetsTheForeignKeyWithoutCascadeAndKeepsItsMail() throws Exception {
        String url = "jdbc:h2:file:" + dir.resolve("relay") + ";DB_CLOSE_ON_EXIT=FALSE";
        Flyway.configure().dataSource(url, "relay", "").locations("classpath:db/migration").target("2").load().migrate();
        try (Connection c = DriverManager.getConnection(url, "relay", ""); Statement s = c.createStatement()) {
            s.execute("INSERT INTO message (id, sender, smtputf8, eightbit, received_at, expires_at, body)"
                    + " VALUES ('1JIMSD6K0NV8VVNQ3', 'a@origin.example', FALSE, FALSE, CURRENT_TIMESTAMP,"
                    + " CURRENT_TIMESTAMP, X'0D0A')");
            s.execute("INSERT INTO recipient (message_id, seq, address, domain, state, next_attempt_at)"
                    + " VALUES ('1JIMSD6K0NV8VVNQ3', 0, 'b@dest.example', 'dest.example', 'QUEUED', CURRENT_TIMESTAMP)");
            s.execute("SHUTDOWN");
        }

        try (Database db = Database.open(dir, 4)) {
            try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement()) {
                var rs = s.executeQuery("SELECT DELETE_RULE FROM INFORMATION_SCHEMA.REFERENTIAL_CONSTRAINTS");
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isIn("RESTRICT", "NO ACTION");
                assertThat(rs.next()).isFalse();
                // the key still holds: a message cannot go while it has recipients
                assertThatThrownBy(() -> s.execute("DELETE FROM message")).isInstanceOf(SQLException.class);
            }
            QueueControl control = new QueueControl(db.dataSource(), java.time.Clock.systemUTC(), new WorkSignal());
            assertThat(control.message(new QueueId("1JIMSD6K0NV8VVNQ3"))).isPresent();

            assertThat(control.delete(new QueueId("1JIMSD6K0NV8VVNQ3"))).isEqualTo(QueueControl.Removal.DELETED);

            try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement()) {
                var rs = s.executeQuery("SELECT (SELECT COUNT(*) FROM message) + (SELECT COUNT(*) FROM recipient)");
                rs.next();
                assertThat(rs.getLong(1)).isZero();
            }
        }
    }
}
