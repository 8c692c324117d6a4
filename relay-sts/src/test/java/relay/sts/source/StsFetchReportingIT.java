package relay.sts.source;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import relay.core.dns.Dns;
import relay.core.dns.DnsSettings;
import relay.core.mail.Domain;
import relay.core.policy.ReportedPolicy;
import relay.core.report.TlsResultType;
import relay.core.report.TlsSessionResult;
import relay.core.testing.Loopback;
import relay.core.testing.MiniDns;
import relay.core.testing.MutableClock;
import relay.sts.cache.PolicyStore;
import relay.sts.cache.StsSchema;
import relay.sts.fetch.FetchResult;
import relay.sts.record.StsDiscovery;

/**
 * RFC 8460 §4.3.2.1 and RFC 8461 §6 (STS-72, RPT-29): every failed policy fetch for a valid TXT
 * record is counted for the domain's TLS report, with its type; decided: also while the cached
 * policy's mode is {@code none} (§6 case 1), whose sessions count as {@code no-policy-found}.
 */
class StsFetchReportingIT {

    private static final Domain DOMAIN = Domain.parse("example.test");

    @TempDir
    Path dir;
    private MiniDns dns;
    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-22T10:00:00Z"));
    private final List<TlsSessionResult> recorded = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        dns = Loopback.retryingBind(() -> MiniDns.start("example.test", "_mta-sts TXT \"v=STSv1; id=7\"\n"));
    }

    @AfterEach
    void stop() {
        dns.close();
    }

    private StsPolicySource source(Function<Domain, FetchResult> fetcher) {
        JdbcDataSource ds = new JdbcDataSource();
        ds.setURL("jdbc:h2:file:" + dir.resolve("relay") + ";DB_CLOSE_ON_EXIT=FALSE");
        StsSchema.migrate(ds);
        Dns resolver = new Dns(new DnsSettings(List.of(dns.address()), Duration.ofMillis(500)));
        return new StsPolicySource(new StsDiscovery(resolver), () -> new StsDiscovery(resolver), fetcher,
                new PolicyStore(ds), recorded::add, clock, new Random(1));
    }

    @Test
    void aFetchErrorIsRecordedUnderTheStsPolicyTypeWithItsReason() {
        StsPolicySource source = source(d -> new FetchResult.Failed(FetchResult.Failure.FETCH_ERROR, "HTTP 404"));

        source.current(DOMAIN);

        assertThat(recorded).singleElement().satisfies(r -> {
            assertThat(r.policyDomain()).isEqualTo(DOMAIN);
            assertThat(r.policy().type()).isEqualTo(ReportedPolicy.Type.STS);
            assertThat(r.policy().policyId()).isEqualTo("7");
            assertThat(r.result()).isEqualTo(TlsResultType.STS_POLICY_FETCH_ERROR);
            assertThat(r.additionalInformation()).hasValueSatisfying(t -> assertThat(t).contains("HTTP 404"));
            assertThat(r.at()).isEqualTo(clock.instant());
        });
    }

    @Test
    void aWebPkiFailureAndAnInvalidPolicyHaveTheirOwnTypes() {
        source(d -> new FetchResult.Failed(FetchResult.Failure.WEBPKI_INVALID, "untrusted")).current(DOMAIN);
        clock.advance(Duration.ofMinutes(6));
        source(d -> new FetchResult.Fetched("version: STSv1\nmode: enforce\n".getBytes(java.nio.charset.StandardCharsets.UTF_8))).current(DOMAIN);

        assertThat(recorded).extracting(TlsSessionResult::result)
                .containsExactly(TlsResultType.STS_WEBPKI_INVALID, TlsResultType.STS_POLICY_INVALID);
    }

    @Test
    void aFailedFetchIsCountedAlsoWhileTheCachedModeIsNone() throws Exception {
        source(d -> new FetchResult.Fetched("version: STSv1\nmode: none\nmax_age: 86400\n"
                .getBytes(java.nio.charset.StandardCharsets.UTF_8))).current(DOMAIN);
        assertThat(recorded).isEmpty();

        dns.setZone("_mta-sts TXT \"v=STSv1; id=8\"\n");
        StsPolicySource failing = source(d -> new FetchResult.Failed(FetchResult.Failure.FETCH_ERROR, "HTTP 503"));
        assertThat(failing.current(DOMAIN)).hasValueSatisfying(c -> assertThat(c.policyId()).isEqualTo("7"));

        assertThat(recorded).singleElement().satisfies(r -> {
            assertThat(r.result()).isEqualTo(TlsResultType.STS_POLICY_FETCH_ERROR);
            assertThat(r.policy().type()).isEqualTo(ReportedPolicy.Type.STS);
            assertThat(r.policy().policyId()).isEqualTo("8");
        });
        // the sessions under the cached none policy: no policy, so never an STS failure
        assertThat(failing.policyFor(DOMAIN).reported()).isEqualTo(ReportedPolicy.NO_POLICY_FOUND);
    }

    /** A fetch that is backed off (RFC 8461 §3.3) is not a new failure and is not counted again. */
    @Test
    void aBackedOffFetchIsNotCountedAgain() {
        StsPolicySource source = source(d -> new FetchResult.Failed(FetchResult.Failure.FETCH_ERROR, "timeout"));

        source.current(DOMAIN);
        source.current(DOMAIN);

        assertThat(recorded).hasSize(1);
    }
}
