package relay.sts.source;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import relay.core.mail.Domain;
import relay.core.policy.PolicyRecheck;
import relay.core.policy.ReportedPolicy;
import relay.core.policy.TlsPolicySource;
import relay.core.policy.TlsRequirement;
import relay.core.policy.TransportPolicy;
import relay.core.report.TlsReportRecorder;
import relay.core.report.TlsResultType;
import relay.core.report.TlsSessionResult;
import relay.sts.cache.CachedPolicy;
import relay.sts.cache.FetchFailure;
import relay.sts.cache.PolicyStore;
import relay.sts.fetch.FetchResult;
import relay.sts.policy.Mode;
import relay.sts.policy.PolicyParser;
import relay.sts.policy.PolicyResult;
import relay.sts.record.StsDiscovery;
import relay.sts.record.StsLookup;

/**
 * MTA-STS as a {@link TlsPolicySource} (RFC 8461 §3.3 and §5): discovery, fetch, cache and
 * refresh, on the clock it is given.
 *
 * <ul>
 *   <li>STS-44/45: address literals have no policy; only the recipient domain itself is asked.
 *   <li>Each delivery looks up the TXT id (DNS caches it for its TTL); a valid cached policy
 *       with the same id is used without any HTTPS request.
 *   <li>A new id, or a TXT record and no valid cached policy, fetches the policy. Decision
 *       (STS-63): the first fetch for a domain is synchronous, bounded by the fetcher's total
 *       timeout, so the first message to a domain never leaves without its policy.
 *   <li>A newly fetched valid policy replaces the cached one, even {@code mode: none} (STS-68).
 *   <li>A failed fetch keeps the still-valid cached policy (STS-24) or, without one, leaves the
 *       domain without a policy (STS-23); then no fetch for the same id for 5 minutes, while a
 *       new id fetches at once (STS-20).
 *   <li>No TXT record, an unusable one or a failed lookup never evicts a valid cached policy
 *       (STS-07, STS-24); an expired policy is never used.
 *   <li>{@link #recheck} is the §5.1 check before a bounce; {@link #refreshDue} the proactive
 *       refresh (STS-25/27), scheduled by the application.
 *   <li>A failed fetch while the cached mode is not {@code none} logs a WARN (STS-26), an ERROR
 *       from the third failure in a row (STS-28).
 * </ul>
 */
public final class StsPolicySource implements TlsPolicySource {

    private static final Logger log = LoggerFactory.getLogger(StsPolicySource.class);

    /** RFC 8461 §3.3: at least 5 minutes between failed fetches for one policy id. */
    public static final Duration BACKOFF = Duration.ofMinutes(5);
    /** RFC 8461 §3.3 (STS-25): refresh policies once a day, well before they expire. */
    public static final Duration REFRESH_AFTER = Duration.ofDays(1);
    /** Refreshes are spread by up to this much, so policies fetched together are not refreshed together. */
    public static final Duration MAX_JITTER = Duration.ofHours(1);
    /** Only policies a delivery used this recently are refreshed; the others are left to expire. */
    public static final Duration RECENT_USE = Duration.ofDays(30);
    /** STS-28: this many failed fetches in a row escalate the alert. */
    static final int ESCALATE_AFTER = 3;
    private static final Duration TOUCH_EVERY = Duration.ofHours(1);

    private final StsDiscovery discovery;
    private final Supplier<StsDiscovery> freshDiscovery;
    private final Function<Domain, FetchResult> fetcher;
    private final PolicyStore store;
    private final TlsReportRecorder reports;
    private final StsEvents events;
    private final Clock clock;
    private final Random random;
    private final ConcurrentHashMap<Domain, Object> locks = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Domain, Superseded> superseded = new ConcurrentHashMap<>();

    /**
     * An id {@link #recheck} found replaced while the relay's resolver may still answer it from
     * its cache: seeing it again within {@link #SUPERSEDED_FOR} is not a change back.
     */
    private record Superseded(String oldId, String newId, Instant until) {
    }

    /** How long an id replaced by a re-check is taken for a stale DNS answer. */
    static final Duration SUPERSEDED_FOR = Duration.ofHours(1);

    /**
     * @param discovery TXT lookups for deliveries (through the relay's caching resolver)
     * @param freshDiscovery a discovery with an empty DNS cache, for the §5.1 re-check
     *     (e.g. {@code () -> new StsDiscovery(new Dns(settings))})
     * @param fetcher the HTTPS fetch, usually {@code policyFetcher::fetch}
     * @param random spreads proactive refreshes
     */
    public StsPolicySource(StsDiscovery discovery, Supplier<StsDiscovery> freshDiscovery,
            Function<Domain, FetchResult> fetcher, PolicyStore store, Clock clock, Random random) {
        this(discovery, freshDiscovery, fetcher, store, TlsReportRecorder.none(), clock, random);
    }

    /** @param reports counts failed policy fetches for TLS reports (RFC 8460 §4.3.2.1) */
    public StsPolicySource(StsDiscovery discovery, Supplier<StsDiscovery> freshDiscovery,
            Function<Domain, FetchResult> fetcher, PolicyStore store, TlsReportRecorder reports, Clock clock,
            Random random) {
        this(discovery, freshDiscovery, fetcher, store, reports, StsEvents.NONE, clock, random);
    }

    /** @param events tells the relay's metrics how lookups and fetches went */
    public StsPolicySource(StsDiscovery discovery, Supplier<StsDiscovery> freshDiscovery,
            Function<Domain, FetchResult> fetcher, PolicyStore store, TlsReportRecorder reports, StsEvents events,
            Clock clock, Random random) {
        this.events = events;
        this.reports = reports;
        this.discovery = discovery;
        this.freshDiscovery = freshDiscovery;
        this.fetcher = fetcher;
        this.store = store;
        this.clock = clock;
        this.random = random;
    }

    @Override
    public TransportPolicy policyFor(Domain domain) {
        return toTransport(current(domain));
    }

    /** The policy in force for {@code domain}, with its id (for TLSRPT and the policy view). */
    public Optional<CachedPolicy> current(Domain domain) {
        if (domain.isAddressLiteral()) {
            events.lookup(domain, StsEvents.Lookup.NONE);
            return Optional.empty(); // RFC 8461 §3.4 (STS-44)
        }
        synchronized (lock(domain)) {
            Instant now = clock.instant();
            Optional<CachedPolicy> valid = store.load(domain).filter(c -> c.validAt(now));
            StsLookup lookup = discovery.lookup(domain);
            Optional<String> id = idOf(lookup);
            Optional<CachedPolicy> result;
            StsEvents.Lookup how;
            if (id.isEmpty()) {
                log.debug("{}: {}; {}", domain, describe(lookup), valid.isPresent() ? "using the cached policy" : "no policy");
                result = valid;
                how = valid.isPresent() ? StsEvents.Lookup.CACHE_HIT : StsEvents.Lookup.NONE;
            } else if (valid.isPresent() && (valid.get().policyId().equals(id.get())
                    || isStale(domain, id.get(), valid.get().policyId(), now))) {
                result = valid;
                how = StsEvents.Lookup.CACHE_HIT;
            } else {
                Optional<CachedPolicy> fetched = fetch(domain, id.get(), valid);
                result = fetched.or(() -> valid);
                how = fetched.isPresent() ? StsEvents.Lookup.FETCHED
                        : valid.isPresent() ? StsEvents.Lookup.CACHE_HIT : StsEvents.Lookup.NONE;
            }
            result.ifPresent(c -> touch(c, now));
            events.lookup(domain, how);
            return result;
        }
    }

    /**
     * RFC 8461 §5.1 (STS-61, STS-65): looks the TXT id up again, past any DNS cache, and fetches
     * the policy when the id is not the cached one. Call it before failing permanently a message
     * deferred by a policy failure.
     */
    @Override
    public PolicyRecheck recheck(Domain domain) {
        if (domain.isAddressLiteral()) {
            return new PolicyRecheck.Unchanged("no MTA-STS for an address literal");
        }
        synchronized (lock(domain)) {
            Optional<CachedPolicy> valid = store.load(domain).filter(c -> c.validAt(clock.instant()));
            StsLookup lookup = freshDiscovery.get().lookup(domain);
            if (lookup instanceof StsLookup.Failed failed) {
                return new PolicyRecheck.NotChecked(failed.reason());
            }
            Optional<String> id = idOf(lookup);
            if (id.isEmpty()) {
                return new PolicyRecheck.Unchanged(describe(lookup) + "; the cached policy, if any, stands");
            }
            if (valid.isPresent() && valid.get().policyId().equals(id.get())) {
                return new PolicyRecheck.Unchanged("policy id " + id.get() + " unchanged");
            }
            Optional<CachedPolicy> fetched = fetch(domain, id.get(), valid);
            if (fetched.isEmpty()) {
                return new PolicyRecheck.Unchanged("policy id is now " + id.get() + " but no policy could be fetched");
            }
            valid.ifPresent(old -> superseded.put(domain,
                    new Superseded(old.policyId(), id.get(), clock.instant().plus(SUPERSEDED_FOR))));
            return new PolicyRecheck.Changed(toTransport(fetched), "new policy id " + id.get() + ", mode "
                    + fetched.get().policy().mode().token());
        }
    }

    /**
     * RFC 8461 §3.3 and §10.2 (STS-25, STS-27): fetches again, whatever the TXT id, the policies
     * used in the last {@link #RECENT_USE} that were fetched more than a day ago (or more than
     * half their {@code max_age}), less a random jitter of up to an hour.
     */
    public RefreshReport refreshDue() {
        int refreshed = 0;
        int failed = 0;
        int backedOff = 0;
        for (CachedPolicy cached : store.all()) {
            Instant now = clock.instant();
            if (!due(cached, now)) {
                continue;
            }
            Domain domain = cached.domain();
            synchronized (lock(domain)) {
                String id = idOf(discovery.lookup(domain)).orElse(cached.policyId());
                Optional<CachedPolicy> valid = Optional.of(cached).filter(c -> c.validAt(now));
                if (backedOff(domain, id, now)) {
                    backedOff++;
                } else if (fetch(domain, id, valid).isPresent()) {
                    refreshed++;
                } else {
                    failed++;
                }
            }
        }
        return new RefreshReport(refreshed, failed, backedOff);
    }

    /** RFC 8461 §5: enforce requires verified TLS to a listed MX; testing only reports; none is no policy. */
    static TransportPolicy toTransport(Optional<CachedPolicy> cached) {
        if (cached.isEmpty()) {
            return TransportPolicy.opportunistic();
        }
        var policy = cached.get().policy();
        ReportedPolicy reported = new ReportedPolicy(ReportedPolicy.Type.STS, policy.lines(),
                policy.mx().stream().map(Object::toString).toList(), cached.get().policyId());
        return switch (policy.mode()) {
            case ENFORCE -> new TransportPolicy(TlsRequirement.VERIFIED, policy::permits, "mta-sts enforce", reported);
            case TESTING -> new TransportPolicy(TlsRequirement.OPPORTUNISTIC, mx -> true, "mta-sts testing", reported,
                    policy::permits);
            case NONE -> TransportPolicy.opportunistic();
        };
    }

    private boolean due(CachedPolicy cached, Instant now) {
        long maxAge = cached.policy().maxAge().seconds();
        if (maxAge == 0 || cached.lastUsedAt().isBefore(now.minus(RECENT_USE))) {
            return false;
        }
        Duration interval = Duration.ofSeconds(Math.min(REFRESH_AFTER.toSeconds(), maxAge / 2));
        long jitterBound = Math.min(MAX_JITTER.toSeconds(), interval.toSeconds() / 4);
        long jitter = jitterBound <= 0 ? 0 : random.nextInt((int) jitterBound + 1);
        return !now.isBefore(cached.fetchedAt().plus(interval).minusSeconds(jitter));
    }

    private boolean isStale(Domain domain, String seenId, String cachedId, Instant now) {
        Superseded s = superseded.get(domain);
        return s != null && s.oldId().equals(seenId) && s.newId().equals(cachedId) && now.isBefore(s.until());
    }

    private boolean backedOff(Domain domain, String id, Instant now) {
        return store.failure(domain).filter(f -> f.blocks(id, now, BACKOFF)).isPresent();
    }

    /** Fetches, parses and stores the policy for {@code id}; empty when backed off or failed. */
    private Optional<CachedPolicy> fetch(Domain domain, String id, Optional<CachedPolicy> valid) {
        if (backedOff(domain, id, clock.instant())) {
            log.debug("{}: not fetching the policy for id {}: a fetch failed less than {} ago", domain, id, BACKOFF);
            return Optional.empty();
        }
        FetchResult result = fetcher.apply(domain);
        String problem;
        TlsResultType type;
        if (result instanceof FetchResult.Fetched fetched) {
            PolicyResult parsed = PolicyParser.parse(fetched.body());
            if (parsed instanceof PolicyResult.Parsed p) {
                CachedPolicy stored = store.save(domain, id, p.policy(), clock.instant());
                events.fetch(domain, "ok");
                log.info("{}: fetched MTA-STS policy id {}: mode {}, max_age {}", domain, id,
                        p.policy().mode().token(), p.policy().maxAge().seconds());
                return Optional.of(stored);
            }
            problem = "invalid policy: " + ((PolicyResult.Rejected) parsed).describe();
            type = TlsResultType.STS_POLICY_INVALID;
        } else {
            FetchResult.Failed failed = (FetchResult.Failed) result;
            problem = failed.kind().resultType() + ": " + failed.reason();
            type = TlsResultType.of(failed.kind().resultType());
        }
        events.fetch(domain, type.token());
        report(domain, id, type, problem);
        alert(store.recordFailure(domain, id, clock.instant(), problem), valid);
        return Optional.empty();
    }

    /**
     * RFC 8460 §4.3.2.1: a failed fetch is reported under the policy type {@code sts} with no
     * policy string (none could be had); never lets a recorder failure out.
     */
    private void report(Domain domain, String id, TlsResultType type, String problem) {
        try {
            reports.record(new TlsSessionResult(domain, new ReportedPolicy(ReportedPolicy.Type.STS, List.of(), List.of(), id),
                    type, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.of(problem),
                    clock.instant()));
        } catch (RuntimeException e) {
            log.warn("{}: recording the failed fetch for TLS reports failed: {}", domain, e.toString());
        }
    }

    /** STS-26/28: alert on a failed fetch, unless the policy in force is none (or there is none). */
    private static void alert(FetchFailure failure, Optional<CachedPolicy> valid) {
        Domain domain = failure.domain();
        if (valid.isEmpty()) {
            log.info("{}: no MTA-STS policy could be fetched for id {} ({}); delivering without one",
                    domain, failure.policyId(), failure.reason());
        } else if (valid.get().policy().mode() == Mode.NONE) {
            log.debug("{}: policy fetch failed ({}); cached mode is none", domain, failure.reason());
        } else if (failure.consecutive() >= ESCALATE_AFTER) {
            log.error("{}: MTA-STS policy fetch failed {} times in a row ({}); the cached {} policy expires at {}",
                    domain, failure.consecutive(), failure.reason(), valid.get().policy().mode().token(),
                    valid.get().expiresAt());
        } else {
            log.warn("{}: MTA-STS policy refresh failed ({}); keeping the cached {} policy until {}", domain,
                    failure.reason(), valid.get().policy().mode().token(), valid.get().expiresAt());
        }
    }

    private void touch(CachedPolicy cached, Instant now) {
        if (cached.lastUsedAt().isBefore(now.minus(TOUCH_EVERY))) {
            store.touch(cached.domain(), now);
        }
    }

    private Object lock(Domain domain) {
        return locks.computeIfAbsent(domain, d -> new Object());
    }

    private static Optional<String> idOf(StsLookup lookup) {
        return lookup instanceof StsLookup.Answered answered
                ? answered.discovery().found().map(r -> r.id())
                : Optional.empty();
    }

    private static String describe(StsLookup lookup) {
        return lookup instanceof StsLookup.Answered answered ? answered.discovery().describe()
                : ((StsLookup.Failed) lookup).reason();
    }
}
