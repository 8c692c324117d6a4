package relay.sts.report.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import relay.core.mail.Domain;
import relay.core.policy.ReportedPolicy;
import relay.core.report.TlsResultType;
import relay.core.report.TlsSessionResult;
import relay.sts.cache.StsSchema;
import relay.sts.report.FailureDetail;
import relay.sts.report.PolicyResults;

/** RFC 8460 §4 aggregates on an H2 file database: counters, not rows per session; survive restarts. */
class H2TlsReportRecorderIT {

    static final Domain A = Domain.parse("a.example");
    static final Domain B = Domain.parse("b.example");
    static final LocalDate DAY = LocalDate.parse("2026-11-21");
    static final Instant NOON = Instant.parse("2026-11-21T12:00:00Z");
    static final ReportedPolicy STS1 = new ReportedPolicy(ReportedPolicy.Type.STS,
            List.of("version: STSv1", "mode: enforce", "mx: mx1.a.example", "max_age: 86400"), List.of("mx1.a.example"), "id1");
    static final ReportedPolicy STS2 = new ReportedPolicy(ReportedPolicy.Type.STS,
            List.of("version: STSv1", "mode: testing", "mx: mx1.a.example", "max_age: 86400"), List.of("mx1.a.example"), "id2");

    @TempDir
    Path dir;

    private JdbcDataSource open() {
        JdbcDataSource ds = new JdbcDataSource();
        ds.setURL("jdbc:h2:file:" + dir.resolve("relay") + ";DB_CLOSE_ON_EXIT=FALSE");
        StsSchema.migrate(ds);
        return ds;
    }

    static TlsSessionResult ok(Domain d, ReportedPolicy p, Instant at) {
        return new TlsSessionResult(d, p, TlsResultType.SUCCESS, Optional.of("192.0.2.1"), Optional.of("mx1." + d),
                Optional.of("mx1." + d), Optional.of("198.51.100.1"), Optional.empty(), at);
    }

    static TlsSessionResult failed(Domain d, ReportedPolicy p, TlsResultType type, String receivingIp, Instant at) {
        return new TlsSessionResult(d, p, type, Optional.of("192.0.2.1"), Optional.of("mx1." + d), Optional.empty(),
                Optional.of(receivingIp), Optional.of("X509_V_ERR_CERT_HAS_EXPIRED"), at);
    }

    @Test
    void manySessionsFromManyThreadsAddUpToCounters() throws Exception {
        JdbcDataSource ds = open();
        TlsReportStore store = new TlsReportStore(ds);
        try (H2TlsReportRecorder recorder = new H2TlsReportRecorder(store, Duration.ofMillis(5))) {
            ExecutorService pool = Executors.newFixedThreadPool(8);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                done.add(pool.submit(() -> {
                    for (int i = 0; i < 250; i++) {
                        recorder.record(ok(A, STS1, NOON.plusSeconds(i)));
                        if (i % 10 == 0) {
                            recorder.record(failed(A, STS1, TlsResultType.CERTIFICATE_EXPIRED, "198.51.100.1", NOON));
                        }
                        if (i % 50 == 0) {
                            recorder.record(failed(A, STS1, TlsResultType.CERTIFICATE_HOST_MISMATCH, "198.51.100.2", NOON));
                        }
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get(30, TimeUnit.SECONDS);
            }
            pool.shutdown();
            recorder.record(ok(A, STS2, NOON));
            recorder.record(ok(B, ReportedPolicy.NO_POLICY_FOUND, NOON));
        }

        List<PolicyResults> a = store.results(A, DAY);
        assertThat(a).hasSize(2);
        PolicyResults p1 = a.stream().filter(p -> p.policy().equals(STS1)).findFirst().orElseThrow();
        assertThat(p1.successes()).isEqualTo(2000);
        assertThat(p1.failures()).isEqualTo(8 * 25 + 8 * 5);
        assertThat(p1.details()).extracting(FailureDetail::resultType, FailureDetail::failedSessionCount)
                .containsExactlyInAnyOrder(
                        org.assertj.core.groups.Tuple.tuple(TlsResultType.CERTIFICATE_EXPIRED, 200L),
                        org.assertj.core.groups.Tuple.tuple(TlsResultType.CERTIFICATE_HOST_MISMATCH, 40L));
        FailureDetail expired = p1.details().stream()
                .filter(d -> d.resultType() == TlsResultType.CERTIFICATE_EXPIRED).findFirst().orElseThrow();
        assertThat(expired.receivingIp()).contains("198.51.100.1");
        assertThat(expired.receivingMxHostname()).contains("mx1.a.example");
        assertThat(expired.receivingMxHelo()).isEmpty();
        assertThat(expired.additionalInformation()).contains("X509_V_ERR_CERT_HAS_EXPIRED");
        PolicyResults p2 = a.stream().filter(p -> p.policy().equals(STS2)).findFirst().orElseThrow();
        assertThat(p2.successes()).isEqualTo(1);
        assertThat(p2.details()).isEmpty();
        assertThat(store.results(B, DAY)).singleElement()
                .satisfies(p -> assertThat(p.policy()).isEqualTo(ReportedPolicy.NO_POLICY_FOUND))
                .satisfies(p -> assertThat(p.successes()).isEqualTo(1));
        assertThat(store.domains(DAY)).containsExactly(A, B);
        // counters, not a row per session
        assertThat(count(ds, "sts.tlsrpt_policy")).isEqualTo(3);
        assertThat(count(ds, "sts.tlsrpt_failure")).isEqualTo(2);
    }

    // RFC 8460 §4.1 (RPT-14): one report per UTC day
    @Test
    void sessionsCountOnTheirUtcDay() {
        TlsReportStore store = new TlsReportStore(open());
        try (H2TlsReportRecorder recorder = new H2TlsReportRecorder(store, Duration.ofHours(1))) {
            recorder.record(ok(A, STS1, Instant.parse("2026-11-21T23:59:59Z")));
            recorder.record(ok(A, STS1, Instant.parse("2026-11-22T00:00:01Z")));
            recorder.record(ok(A, STS1, Instant.parse("2026-11-22T00:30:00+01:00")));
        }
        assertThat(store.results(A, DAY)).singleElement().extracting(PolicyResults::successes).isEqualTo(2L);
        assertThat(store.results(A, DAY.plusDays(1))).singleElement().extracting(PolicyResults::successes).isEqualTo(1L);
    }

    // RFC 8460 §4.4 (RPT-25): the same address written two ways is one detail
    @Test
    void ipv6AddressesAreCanonicalSoTheyAggregate() {
        TlsReportStore store = new TlsReportStore(open());
        try (H2TlsReportRecorder recorder = new H2TlsReportRecorder(store, Duration.ofHours(1))) {
            recorder.record(failed(A, STS1, TlsResultType.STARTTLS_NOT_SUPPORTED, "2001:DB8:0:0::1", NOON));
            recorder.record(failed(A, STS1, TlsResultType.STARTTLS_NOT_SUPPORTED, "2001:db8::1", NOON));
        }
        assertThat(store.results(A, DAY).get(0).details()).singleElement()
                .satisfies(d -> assertThat(d.receivingIp()).contains("2001:db8::1"))
                .satisfies(d -> assertThat(d.failedSessionCount()).isEqualTo(2));
    }

    @Test
    void countsSurviveARestartAndKeepAdding() throws SQLException {
        JdbcDataSource ds = open();
        try (H2TlsReportRecorder recorder = new H2TlsReportRecorder(new TlsReportStore(ds), Duration.ofHours(1))) {
            recorder.record(ok(A, STS1, NOON));
            recorder.record(failed(A, STS1, TlsResultType.CERTIFICATE_NOT_TRUSTED, "198.51.100.1", NOON));
        }
        shutdown(ds);

        TlsReportStore reopened = new TlsReportStore(open());
        try (H2TlsReportRecorder recorder = new H2TlsReportRecorder(reopened, Duration.ofHours(1))) {
            recorder.record(ok(A, STS1, NOON));
            recorder.record(failed(A, STS1, TlsResultType.CERTIFICATE_NOT_TRUSTED, "198.51.100.1", NOON));
        }
        PolicyResults p = reopened.results(A, DAY).get(0);
        assertThat(p.policy()).isEqualTo(STS1);
        assertThat(p.successes()).isEqualTo(2);
        assertThat(p.failures()).isEqualTo(2);
        assertThat(p.details()).singleElement().extracting(FailureDetail::failedSessionCount).isEqualTo(2L);
    }

    @Test
    void aFailedFlushKeepsItsCountsAndNeverThrowsIntoTheCaller() throws SQLException {
        JdbcDataSource ds = open();
        TlsReportStore store = new TlsReportStore(ds);
        try (H2TlsReportRecorder recorder = new H2TlsReportRecorder(store, Duration.ofHours(1))) {
            recorder.record(ok(A, STS1, NOON));
            execute(ds, "ALTER TABLE sts.tlsrpt_policy RENAME TO sts.tlsrpt_policy_away");
            assertThat(recorder.flush()).isFalse();
            assertThatCode(() -> recorder.record(ok(A, STS1, NOON))).doesNotThrowAnyException();
            assertThat(recorder.flush()).isFalse();
            execute(ds, "ALTER TABLE sts.tlsrpt_policy_away RENAME TO sts.tlsrpt_policy");
            assertThat(recorder.flush()).isTrue();
            assertThatCode(() -> recorder.record(null)).doesNotThrowAnyException();
        }
        assertThat(store.results(A, DAY)).singleElement().extracting(PolicyResults::successes).isEqualTo(2L);
    }

    @Test
    void theFlushThreadWritesWithoutAnExplicitFlush() {
        TlsReportStore store = new TlsReportStore(open());
        try (H2TlsReportRecorder recorder = new H2TlsReportRecorder(store, Duration.ofMillis(20))) {
            recorder.record(ok(A, STS1, NOON));
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> !store.results(A, DAY).isEmpty());
        }
    }

    @Test
    void oldDaysCanBeDropped() {
        TlsReportStore store = new TlsReportStore(open());
        try (H2TlsReportRecorder recorder = new H2TlsReportRecorder(store, Duration.ofHours(1))) {
            recorder.record(failed(A, STS1, TlsResultType.CERTIFICATE_EXPIRED, "198.51.100.1", NOON.minus(Duration.ofDays(40))));
            recorder.record(ok(A, STS1, NOON));
        }
        assertThat(store.deleteBefore(DAY.minusDays(30))).isEqualTo(1);
        assertThat(store.results(A, DAY.minusDays(40))).isEmpty();
        assertThat(store.results(A, DAY)).hasSize(1);
    }

    private static long count(JdbcDataSource ds, String table) throws SQLException {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement();
             var r = s.executeQuery("SELECT COUNT(*) FROM " + table)) {
            r.next();
            return r.getLong(1);
        }
    }

    private static void execute(JdbcDataSource ds, String sql) throws SQLException {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private static void shutdown(JdbcDataSource ds) throws SQLException {
        execute(ds, "SHUTDOWN");
    }
}
