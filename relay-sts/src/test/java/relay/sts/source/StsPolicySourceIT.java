package relay.sts.source;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.TrustAnchor;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.slf4j.LoggerFactory;
import relay.core.dns.Dns;
import relay.core.dns.DnsSettings;
import relay.core.mail.Domain;
import relay.core.policy.PolicyRecheck;
import relay.core.policy.TlsRequirement;
import relay.core.policy.TransportPolicy;
import relay.core.testing.Loopback;
import relay.core.testing.MiniDns;
import relay.core.testing.MutableClock;
import relay.core.testing.TestPki;
import relay.core.tls.CertificateVerifier;
import relay.sts.cache.PolicyStore;
import relay.sts.cache.StsSchema;
import relay.sts.fetch.FetchSettings;
import relay.sts.fetch.PolicyFetcher;
import relay.sts.policy.Mode;
import relay.sts.record.StsDiscovery;

/**
 * RFC 8461 §3.3 and §5 cache rules end to end: a wire-format DNS server, an HTTPS policy host
 * that counts its requests, an H2 file database and a clock the test moves.
 */
class StsPolicySourceIT {

    private static final Domain DOMAIN = Domain.parse("example.test");
    private static final Domain MX1 = Domain.parse("mx1.example.test");
    private static final Domain MX2 = Domain.parse("mx2.example.test");
    private static final String ENFORCE = "version: STSv1\nmode: enforce\nmx: mx1.example.test\nmax_age: 86400\n";

    @TempDir
    Path dir;

    private final TestPki pki = TestPki.create("STS Source Test CA");
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicInteger status = new AtomicInteger(200);
    private final AtomicReference<String> body = new AtomicReference<>(ENFORCE);
    private final AtomicReference<String> host = new AtomicReference<>("");
    private final MutableClock clock = new MutableClock(Instant.now());
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private HttpsServer server;
    private MiniDns dns;
    private EventLoopGroup group;
    private JdbcDataSource db;

    @BeforeEach
    void start() throws IOException {
        dns = Loopback.retryingBind(() -> MiniDns.start("example.test", zone("A", 0)));
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 50);
        server.setHttpsConfigurator(new HttpsConfigurator(pki.issue("mta-sts.example.test").serverContext()));
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/", exchange -> {
            requests.incrementAndGet();
            host.set(exchange.getRequestHeaders().getFirst("Host"));
            byte[] b = body.get().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain");
            exchange.sendResponseHeaders(status.get(), b.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(b);
            }
        });
        server.start();
        db = openDb();
        Logger logger = (Logger) LoggerFactory.getLogger(StsPolicySource.class);
        logs.start();
        logger.addAppender(logs);
    }

    @AfterEach
    void stop() {
        ((Logger) LoggerFactory.getLogger(StsPolicySource.class)).detachAppender(logs);
        server.stop(0);
        dns.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    /** The zone with one STS record of this id and TTL (0: every lookup reaches the server). */
    private static String zone(String id, int ttl) {
        return "_mta-sts " + ttl + " TXT \"v=STSv1; id=" + id + "\"\nmta-sts A 127.0.0.1\n";
    }

    private JdbcDataSource openDb() {
        JdbcDataSource ds = new JdbcDataSource();
        ds.setURL("jdbc:h2:file:" + dir.resolve("relay") + ";DB_CLOSE_ON_EXIT=FALSE");
        StsSchema.migrate(ds);
        return ds;
    }

    private Dns resolver() {
        return new Dns(new DnsSettings(List.of(dns.address()), Duration.ofMillis(300)));
    }

    private StsPolicySource source() {
        return source(openDb());
    }

    private StsPolicySource source(JdbcDataSource ds) {
        CertificateVerifier verifier = new CertificateVerifier(Set.of(new TrustAnchor(pki.caCertificate(), null)),
                Clock.systemUTC());
        PolicyFetcher fetcher = new PolicyFetcher(resolver(), verifier, group, new FetchSettings(
                server.getAddress().getPort(), Duration.ofSeconds(2), Duration.ofSeconds(3), FetchSettings.RFC_MAX_BYTES));
        return new StsPolicySource(new StsDiscovery(resolver()), () -> new StsDiscovery(resolver()), fetcher::fetch,
                new PolicyStore(ds), clock, new Random(1));
    }

    private static void assertEnforce(TransportPolicy p, Domain allowed) {
        assertThat(p.tls()).isEqualTo(TlsRequirement.VERIFIED);
        assertThat(p.source()).isEqualTo("mta-sts enforce");
        assertThat(p.mxAllowed().test(allowed)).isTrue();
        assertThat(p.mxAllowed().test(Domain.parse("evil.example.net"))).isFalse();
    }

    private static void assertOpportunistic(TransportPolicy p) {
        assertThat(p.tls()).isEqualTo(TlsRequirement.OPPORTUNISTIC);
        assertThat(p.source()).isEqualTo("none");
    }

    private long warnings() {
        return logs.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN)).count();
    }

    // RFC 8461 §5: each mode maps to what the transport must do
    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "enforce, VERIFIED,      mta-sts enforce, false",
        "testing, OPPORTUNISTIC, mta-sts testing, true",
        "none,    OPPORTUNISTIC, none,            true",
    })
    void modeMapsToATransportPolicy(String mode, TlsRequirement tls, String source, boolean otherMxAllowed) {
        body.set("version: STSv1\nmode: " + mode + "\n" + (mode.equals("none") ? "" : "mx: mx1.example.test\n")
                + "max_age: 86400\n");
        TransportPolicy p = source().policyFor(DOMAIN);
        assertThat(p.tls()).isEqualTo(tls);
        assertThat(p.source()).isEqualTo(source);
        assertThat(p.mxAllowed().test(MX1)).isTrue();
        assertThat(p.mxAllowed().test(Domain.parse("other.example.net"))).isEqualTo(otherMxAllowed);
    }

    // STS-63 decision: the first fetch is synchronous; then the cache serves every delivery
    @Test
    void cachedPolicyIsUsedWithoutHttpsWhileTheIdIsUnchanged() {
        StsPolicySource source = source();
        for (int i = 0; i < 5; i++) {
            assertEnforce(source.policyFor(DOMAIN), MX1);
            clock.advance(Duration.ofMinutes(10));
        }
        assertThat(requests.get()).isEqualTo(1);
    }

    // RFC 8461 §3.3 / STS-69: a new id is always honoured, with exactly one fetch
    @Test
    void idChangeTriggersExactlyOneFetch() throws IOException {
        StsPolicySource source = source();
        assertEnforce(source.policyFor(DOMAIN), MX1);
        body.set(ENFORCE.replace("mx1", "mx2"));
        dns.setZone(zone("B", 0));
        assertEnforce(source.policyFor(DOMAIN), MX2);
        assertEnforce(source.policyFor(DOMAIN), MX2);
        assertThat(requests.get()).isEqualTo(2);
    }

    // STS-24, STS-26: a failed fetch keeps the valid cached policy and warns
    @Test
    void failedFetchKeepsTheCachedPolicyAndWarns() throws IOException {
        StsPolicySource source = source();
        assertEnforce(source.policyFor(DOMAIN), MX1);
        status.set(404);
        dns.setZone(zone("B", 0));
        assertEnforce(source.policyFor(DOMAIN), MX1);
        assertThat(requests.get()).isEqualTo(2);
        assertThat(warnings()).isEqualTo(1);
    }

    // STS-23: TXT ok, no policy fetchable, nothing cached: deliver as without MTA-STS, no alert
    @Test
    void unfetchablePolicyWithoutCacheIsNoPolicy() {
        status.set(404);
        assertOpportunistic(source().policyFor(DOMAIN));
        assertThat(warnings()).isZero();
    }

    // STS-20: after a failed fetch, 5 minutes per policy id; a new id fetches at once
    @Test
    void failedFetchBacksOffFiveMinutesPerId() throws IOException {
        StsPolicySource source = source();
        status.set(500);
        assertOpportunistic(source.policyFor(DOMAIN));
        assertThat(requests.get()).isEqualTo(1);
        clock.advance(Duration.ofMinutes(1));
        assertOpportunistic(source.policyFor(DOMAIN));
        assertThat(requests.get()).as("no fetch at +1 min").isEqualTo(1);
        clock.advance(Duration.ofMinutes(4));
        assertOpportunistic(source.policyFor(DOMAIN));
        assertThat(requests.get()).as("a fetch at +5 min").isEqualTo(2);
        clock.advance(Duration.ofMinutes(1));
        status.set(200);
        dns.setZone(zone("B", 0));
        assertEnforce(source.policyFor(DOMAIN), MX1);
        assertThat(requests.get()).as("a new id fetches at once").isEqualTo(3);
    }

    // STS-07, STS-24: a missing, unusable or unanswered TXT record does not evict a valid cached policy
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "NXDOMAIN        | mta-sts A 127.0.0.1",
        "NODATA          | _mta-sts A 127.0.0.1\\nmta-sts A 127.0.0.1",
        "two records     | _mta-sts 0 TXT \"v=STSv1; id=B\"\\n_mta-sts 0 TXT \"v=STSv1; id=C\"\\nmta-sts A 127.0.0.1",
        "invalid record  | _mta-sts 0 TXT \"v=STSv1; id=B-1\"\\nmta-sts A 127.0.0.1",
        "SERVFAIL        | SERVFAIL",
    })
    void unusableTxtKeepsTheValidCachedPolicy(String name, String zone) throws IOException {
        StsPolicySource source = source();
        assertEnforce(source.policyFor(DOMAIN), MX1);
        if (zone.equals("SERVFAIL")) {
            dns.servfail("_mta-sts");
        } else {
            dns.setZone(zone.replace("\\n", "\n"));
        }
        clock.advance(Duration.ofHours(23));
        assertEnforce(source.policyFor(DOMAIN), MX1);
        assertThat(requests.get()).isEqualTo(1);
    }

    // STS-34: an expired policy is never used; no record then means no policy
    @Test
    void expiredCachedPolicyAndNoTxtIsNoPolicy() throws IOException {
        StsPolicySource source = source();
        assertEnforce(source.policyFor(DOMAIN), MX1);
        dns.setZone("mta-sts A 127.0.0.1\n");
        clock.advance(Duration.ofSeconds(86399));
        assertEnforce(source.policyFor(DOMAIN), MX1);
        clock.advance(Duration.ofSeconds(2));
        assertOpportunistic(source.policyFor(DOMAIN));
    }

    // STS-05: more than one STS record and nothing cached: no policy, no fetch
    @Test
    void multipleRecordsAreNoPolicy() throws IOException {
        dns.setZone("_mta-sts 0 TXT \"v=STSv1; id=A\"\n_mta-sts 0 TXT \"v=STSv1; id=B\"\nmta-sts A 127.0.0.1\n");
        assertOpportunistic(source().policyFor(DOMAIN));
        assertThat(requests.get()).isZero();
    }

    // STS-24 across a restart: the cache is in the database, not in memory
    @Test
    void restartWithoutNetworkStillEnforcesTheCachedPolicy() {
        assertEnforce(source().policyFor(DOMAIN), MX1);
        dns.servfail("_mta-sts");
        dns.servfail("mta-sts");
        server.stop(0);
        clock.advance(Duration.ofHours(1));
        assertEnforce(source(openDb()).policyFor(DOMAIN), MX1);
    }

    // STS-68: a newly fetched none replaces a cached enforce
    @Test
    void newlyFetchedNoneReplacesEnforce() throws IOException {
        StsPolicySource source = source();
        assertEnforce(source.policyFor(DOMAIN), MX1);
        body.set("version: STSv1\nmode: none\nmax_age: 86400\n");
        dns.setZone(zone("B", 0));
        assertOpportunistic(source.policyFor(DOMAIN));
        assertThat(source.current(DOMAIN)).get().extracting(c -> c.policy().mode()).isEqualTo(Mode.NONE);
        // and no alert when a refresh of a none policy fails (STS-26)
        status.set(500);
        dns.setZone(zone("C", 0));
        assertOpportunistic(source.policyFor(DOMAIN));
        assertThat(warnings()).isZero();
    }

    // RFC 8461 §5.1 (STS-61, STS-65): re-check the id past the DNS cache before a bounce
    @Test
    void recheckFindsAChangedIdPastTheDnsCache() throws IOException {
        dns.setZone(zone("A", 300));
        StsPolicySource source = source();
        assertEnforce(source.policyFor(DOMAIN), MX1);
        body.set(ENFORCE.replace("mx1", "mx2"));
        dns.setZone(zone("B", 300));
        assertEnforce(source.policyFor(DOMAIN), MX1); // the relay's resolver still has id=A
        assertThat(requests.get()).isEqualTo(1);

        PolicyRecheck r = source.recheck(DOMAIN);
        assertThat(r).isInstanceOf(PolicyRecheck.Changed.class);
        assertEnforce(((PolicyRecheck.Changed) r).policy(), MX2);
        assertThat(requests.get()).isEqualTo(2);
        // the relay's resolver may still answer id=A for its TTL: that is not a change back
        assertEnforce(source.policyFor(DOMAIN), MX2);
        assertThat(source.recheck(DOMAIN)).isInstanceOf(PolicyRecheck.Unchanged.class);
        assertThat(requests.get()).isEqualTo(2);
    }

    @Test
    void recheckWithoutDnsIsNotChecked() {
        StsPolicySource source = source();
        assertEnforce(source.policyFor(DOMAIN), MX1);
        dns.servfail("_mta-sts");
        assertThat(source.recheck(DOMAIN)).isInstanceOf(PolicyRecheck.NotChecked.class);
    }

    // STS-25, STS-27: refresh before expiry, even with the id unchanged
    @Test
    void refreshDueFetchesPoliciesOlderThanADay() {
        body.set(ENFORCE.replace("86400", "2592000"));
        StsPolicySource source = source();
        assertEnforce(source.policyFor(DOMAIN), MX1);
        clock.advance(Duration.ofHours(12));
        assertThat(source.refreshDue()).isEqualTo(new RefreshReport(0, 0, 0));
        assertThat(requests.get()).isEqualTo(1);
        clock.advance(Duration.ofHours(12));
        assertThat(source.refreshDue()).isEqualTo(new RefreshReport(1, 0, 0));
        assertThat(requests.get()).isEqualTo(2);
        assertThat(source.current(DOMAIN).orElseThrow().fetchedAt()).isEqualTo(clock.instant().truncatedTo(ChronoUnit.MILLIS));
    }

    // STS-26, STS-28: a failed refresh warns, then escalates; the cached policy stays
    @Test
    void failedRefreshWarnsThenEscalates() {
        body.set(ENFORCE.replace("86400", "2592000"));
        StsPolicySource source = source();
        assertEnforce(source.policyFor(DOMAIN), MX1);
        status.set(503);
        for (int day = 0; day < 3; day++) {
            clock.advance(Duration.ofHours(25));
            assertThat(source.refreshDue().failed()).isEqualTo(1);
        }
        assertThat(logs.list.stream().filter(e -> e.getLevel() == Level.WARN)).hasSize(2);
        assertThat(logs.list.stream().filter(e -> e.getLevel() == Level.ERROR)).hasSize(1);
        assertEnforce(source.policyFor(DOMAIN), MX1);
    }

    @Test
    void refreshLeavesPoliciesNotUsedRecentlyToExpire() {
        body.set(ENFORCE.replace("86400", "31557600"));
        StsPolicySource source = source();
        assertEnforce(source.policyFor(DOMAIN), MX1);
        clock.advance(StsPolicySource.RECENT_USE.plusDays(1));
        assertThat(source.refreshDue()).isEqualTo(new RefreshReport(0, 0, 0));
        assertThat(requests.get()).isEqualTo(1);
    }

    // STS-32: max_age 0 applies to the delivery at hand and is not kept
    @Test
    void maxAgeZeroAppliesOnceAndIsNotKept() {
        body.set(ENFORCE.replace("86400", "0"));
        StsPolicySource source = source();
        assertEnforce(source.policyFor(DOMAIN), MX1);
        assertEnforce(source.policyFor(DOMAIN), MX1);
        assertThat(requests.get()).isEqualTo(2);
    }

    // after a re-check, a stale answer with the old id is no change for a while, then it is again
    @Test
    void oldIdSeenLongAfterARecheckIsAChange() throws IOException {
        dns.setZone(zone("A", 300));
        StsPolicySource source = source();
        assertEnforce(source.policyFor(DOMAIN), MX1);
        dns.setZone(zone("B", 300));
        assertThat(source.recheck(DOMAIN)).isInstanceOf(PolicyRecheck.Changed.class);
        assertThat(requests.get()).isEqualTo(2);
        source.policyFor(DOMAIN); // the relay's resolver still says A
        assertThat(requests.get()).isEqualTo(2);
        clock.advance(StsPolicySource.SUPERSEDED_FOR.plusMinutes(1));
        source.policyFor(DOMAIN);
        assertThat(requests.get()).isEqualTo(3);
    }

    // RFC 8461 §3.4 (STS-44, STS-45): no MTA-STS for address literals, no parent lookup
    @Test
    void addressLiteralsAndSubdomainsAreNotLookedUpElsewhere() {
        StsPolicySource source = source();
        int before = dns.queries();
        assertOpportunistic(source.policyFor(Domain.parse("[192.0.2.1]")));
        assertThat(dns.queries()).isEqualTo(before);
        assertOpportunistic(source.policyFor(Domain.parse("mail.example.test")));
        assertThat(requests.get()).isZero();
    }

    // STS-33 (decided) with STS-34: max_age above 31557600 is valid and cached for 31557600 s from the fetch
    @Test
    void maxAgeAboveAYearIsCachedForAYear() throws IOException {
        body.set(ENFORCE.replace("86400", "99999999"));
        StsPolicySource source = source();
        assertEnforce(source.policyFor(DOMAIN), MX1);
        var cached = source.current(DOMAIN).orElseThrow();
        assertThat(cached.policy().maxAge().declared()).isEqualTo(99999999L);
        assertThat(cached.policy().maxAge().clamped()).isTrue();
        assertThat(cached.expiresAt()).isEqualTo(cached.fetchedAt().plusSeconds(31557600));

        dns.setZone("mta-sts A 127.0.0.1\n");
        clock.advance(Duration.ofSeconds(31557599));
        assertEnforce(source.policyFor(DOMAIN), MX1);
        clock.advance(Duration.ofSeconds(2));
        assertOpportunistic(source.policyFor(DOMAIN));
        assertThat(requests.get()).isEqualTo(1);
    }

    // STS-09, STS-11, STS-46: a CNAME'd _mta-sts record is followed, and the policy still comes from
    // https://mta-sts.<policy domain>/, not from the provider's host
    @Test
    void delegatedRecordIsFollowedAndThePolicyFetchedFromTheDomainsOwnHost() throws IOException {
        dns.setZone("_mta-sts CNAME _mta-sts.provider\n_mta-sts.provider 0 TXT \"v=STSv1; id=P1\"\n"
                + "mta-sts A 127.0.0.1\n");
        StsPolicySource source = source();

        assertEnforce(source.policyFor(DOMAIN), MX1);
        assertThat(source.current(DOMAIN).orElseThrow().policyId()).isEqualTo("P1");
        assertThat(requests.get()).isEqualTo(1);
        assertThat(host.get()).startsWith("mta-sts.example.test:");
    }

    // Issue 4 scenario "id changed with fetch failing": a new id whose policy cannot be fetched (here the
    // policy host is down) leaves the valid cached policy in force; the next try waits 5 minutes (STS-20, STS-24)
    @Test
    void idChangedWithThePolicyHostDownKeepsTheCachedPolicy() throws IOException {
        StsPolicySource source = source();
        assertEnforce(source.policyFor(DOMAIN), MX1);
        dns.setZone(zone("B", 0));
        server.stop(0);

        assertEnforce(source.policyFor(DOMAIN), MX1);
        assertEnforce(source.policyFor(DOMAIN), MX1);
        assertThat(source.current(DOMAIN).orElseThrow().policyId()).isEqualTo("A");
        assertThat(requests.get()).isEqualTo(1);
        assertThat(warnings()).as("one failed fetch, one warning; the second delivery was backed off").isEqualTo(1);
    }
}
