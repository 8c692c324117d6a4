package relay.core.outbound;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import relay.core.delivery.DeliveryAgent;
import relay.core.delivery.DeliveryRequest;
import relay.core.delivery.Outcome;
import relay.core.delivery.RecipientOutcome;
import relay.core.dns.Dns;
import relay.core.dns.MxHost;
import relay.core.dns.MxLookup;
import relay.core.dns.MxResolver;
import relay.core.mail.Domain;
import relay.core.mail.MailAddress;
import relay.core.policy.PolicyRecheck;
import relay.core.report.TlsReportRecorder;
import relay.core.report.TlsSessionResult;
import relay.core.policy.ReportedPolicy;
import relay.core.report.TlsResultType;
import relay.core.policy.TlsPolicySource;
import relay.core.policy.TlsRequirement;
import relay.core.policy.TransportPolicy;
import relay.core.tls.CertificateVerifier;

/**
 * Delivers over SMTP the way RFC 5321 §5.1 asks: the domain's MX hosts best first (or a
 * configured route), each host's addresses in the resolver's order, STARTTLS as the policy in
 * force demands, and the next host after any temporary failure. Hosts the policy does not allow
 * are treated as unreachable (RFC 8461 §5), never as a fallback.
 */
public final class SmtpDeliveryAgent implements DeliveryAgent, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger("relay.delivery");

    private final OutboundSettings settings;
    private final Dns dns;
    private final MxResolver mx;
    private final TlsPolicySource policies;
    private final TlsReportRecorder reports;
    private final CertificateVerifier verifier;
    private final Clock clock;
    private final EventLoopGroup group;
    /** Closes idle pooled sessions, off the event loops (a wait for a 221 on a loop would block that loop's replies). */
    private final java.util.concurrent.ScheduledExecutorService sweeper;
    private final SessionSetup setup;
    private final DeadHosts dead;
    private final SessionPool pool;
    private final Map<Domain, Semaphore> perDomain = new ConcurrentHashMap<>();

    public SmtpDeliveryAgent(OutboundSettings settings, Dns dns, MxResolver mx, TlsPolicySource policies,
            CertificateVerifier verifier, Clock clock) {
        this(settings, dns, mx, policies, TlsReportRecorder.none(), verifier, clock);
    }

    /** @param reports counts each session for RFC 8460 reports (not sessions through a configured route) */
    public SmtpDeliveryAgent(OutboundSettings settings, Dns dns, MxResolver mx, TlsPolicySource policies,
            TlsReportRecorder reports, CertificateVerifier verifier, Clock clock) {
        this.settings = settings;
        this.reports = reports;
        this.dns = dns;
        this.mx = mx;
        this.policies = policies;
        this.verifier = verifier;
        this.clock = clock;
        this.group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        this.dead = new DeadHosts(clock, settings.deadHostMemory());
        this.pool = new SessionPool(clock, settings);
        this.setup = new SessionSetup(settings, verifier);
        // the sweep itself no longer waits (quitInBackground), but once a quit() that waits for
        // the 221 ran on an event loop, blocked it, and every connect registered on it timed out
        this.sweeper = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "smtp-pool-sweeper");
            t.setDaemon(true);
            return t;
        });
        sweeper.scheduleAtFixedRate(pool::sweep, 1, 1, TimeUnit.SECONDS);
    }

    @Override
    public List<RecipientOutcome> deliver(DeliveryRequest request) {
        Semaphore slot = perDomain.computeIfAbsent(request.domain(), d -> new Semaphore(settings.maxPerDomain()));
        try {
            slot.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Recipients(request.recipients()).finish(
                    HostFailure.temporary("4.3.0", "interrupted", Optional.empty()));
        }
        try {
            Optional<Route> route = settings.routes().stream().filter(r -> r.matches(request.domain())).findFirst();
            Domain policyDomain = route.map(Route::host).orElse(request.domain());
            // RFC 8689 §5: TLS-Required: No sets the recipient domain's TLS policy aside (TLS is
            // still used when offered); TLS reports carry it, so their sessions are never counted
            // in the next report (RFC 8460 §3, RPT-34) and never fail on the policy they report on
            TransportPolicy policy = request.envelope().tlsOptional()
                    ? new TransportPolicy(TlsRequirement.OPPORTUNISTIC, mx -> true, "tls-required-no")
                    : policies.policyFor(policyDomain);
            List<RecipientOutcome> outcomes = attempt(request, route, policy);
            if (request.last() && policy.enforced()) {
                return recheckBeforeBounce(request, route, policyDomain, outcomes);
            }
            return outcomes;
        } finally {
            slot.release();
        }
    }

    /**
     * RFC 8461 §5.1 (STS-61, STS-65): the queue lifetime is over and recipients are still deferred
     * under an enforced policy. Before the queue bounces them, ask whether the policy changed:
     * under a new policy, try again at once; if nobody could tell, the bounce waits.
     */
    private List<RecipientOutcome> recheckBeforeBounce(DeliveryRequest request, Optional<Route> route,
            Domain policyDomain, List<RecipientOutcome> outcomes) {
        List<MailAddress> deferred = outcomes.stream().filter(o -> o.outcome() instanceof Outcome.Deferred)
                .map(RecipientOutcome::recipient).toList();
        if (deferred.isEmpty()) {
            return outcomes;
        }
        PolicyRecheck recheck = policies.recheck(policyDomain);
        LOG.info("recheck id={} domain={} result={} reason=\"{}\"", request.id(), policyDomain,
                recheck.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT), recheck.reason());
        List<RecipientOutcome> merged = new ArrayList<>(outcomes.stream()
                .filter(o -> !(o.outcome() instanceof Outcome.Deferred)).toList());
        if (recheck instanceof PolicyRecheck.Changed changed) {
            merged.addAll(attempt(request.forRecipients(deferred), route, changed.policy()));
            return merged;
        }
        if (recheck instanceof PolicyRecheck.NotChecked) {
            for (RecipientOutcome o : outcomes) {
                if (o.outcome() instanceof Outcome.Deferred d) {
                    merged.add(new RecipientOutcome(o.recipient(), new Outcome.Deferred(d.status(),
                            d.diagnostic() + "; MTA-STS policy re-check failed: " + recheck.reason(), d.remoteMta(),
                            Outcome.Expiry.AWAIT_POLICY_CHECK)));
                }
            }
            return merged;
        }
        return outcomes;
    }

    private record Target(Domain host, int port, TlsRequirement floor, Optional<Route.Credentials> auth) {
    }

    private List<RecipientOutcome> attempt(DeliveryRequest request, Optional<Route> route, TransportPolicy policy) {
        Recipients state = new Recipients(request.recipients());
        Domain domain = request.domain();
        List<Target> targets = new ArrayList<>();
        if (route.isPresent()) {
            Route r = route.get();
            targets.add(new Target(r.host(), r.port(), r.tls(), r.auth()));
        } else if (domain.isAddressLiteral()) {
            // RFC 5321 §5.1 / §4.1.3: an address literal names the host itself, no DNS involved
            targets.add(new Target(domain, settings.port(), TlsRequirement.NONE, Optional.empty()));
        } else {
            MxLookup lookup = mx.resolve(domain);
            if (lookup instanceof MxLookup.NullMx) {
                // RFC 7505 §4.1: fail at once, 5.1.10
                return settled(state, new Outcome.Bounced("5.1.10", "556 5.1.10 " + domain
                        + " accepts no mail (null MX, RFC 7505)", Optional.empty()));
            }
            if (lookup instanceof MxLookup.NoSuchDomain n) {
                return settled(state, new Outcome.Bounced("5.1.2", n.reason(), Optional.empty()));
            }
            if (lookup instanceof MxLookup.TemporaryFailure f) {
                return state.finish(HostFailure.temporary("4.4.3", f.reason(), Optional.empty()));
            }
            for (MxHost h : ((MxLookup.Hosts) lookup).hosts()) {
                targets.add(new Target(h.name(), settings.port(), TlsRequirement.NONE, Optional.empty()));
            }
        }
        HostFailure last = HostFailure.temporary("4.4.4", "no host to try for " + domain, Optional.empty());
        List<Candidate> candidates = new ArrayList<>();
        for (Target target : targets) {
            if (!policy.mxAllowed().test(target.host())) {
                // RFC 8461 §4.1/§5: a host the policy does not list is unreachable, never a fallback
                last = HostFailure.temporary("4.7.5", SessionSetup.requirer(policy) + ": MX " + target.host()
                        + " is not listed in the policy", Optional.empty());
                LOG.info("attempt id={} domain={} mx={} skipped=\"not permitted by {}\"", request.id(), domain,
                        target.host(), policy.source());
                if (route.isEmpty() && !request.envelope().tlsOptional()
                        && policy.reported().type() == ReportedPolicy.Type.STS) {
                    // RPT-33: no session, but the domain learns that its MX is missing from its policy
                    recordSkipped(domain, policy, target.host());
                }
                continue;
            }
            List<InetAddress> addresses = new ArrayList<>();
            Optional<HostFailure> lookupFailure = addresses(target.host(), addresses);
            if (lookupFailure.isPresent()) {
                last = lookupFailure.get();
                continue;
            }
            addresses.forEach(a -> candidates.add(new Candidate(target, new InetSocketAddress(a, target.port()))));
        }
        // RFC 5321 §4.5.4.1: addresses that failed recently are skipped while others remain; the
        // memory orders the attempts, it never leaves nothing to try
        List<Candidate> live = candidates.stream().filter(c -> !dead.isDead(c.address())).toList();
        if (!live.isEmpty() && live.size() < candidates.size()) {
            LOG.info("attempt id={} domain={} skipped={} address(es) that failed recently", request.id(), domain,
                    candidates.size() - live.size());
        }
        int tried = 0;
        for (Candidate c : live.isEmpty() ? candidates : live) {
            if (tried++ >= settings.maxHostsPerAttempt()) {
                break;
            }
            TlsRequirement need = stronger(policy.tls(), c.target().floor());
            if (route.isPresent() && route.get().tls() == TlsRequirement.NONE && need == TlsRequirement.OPPORTUNISTIC) {
                // RFC 3207 §4 (TLS-07, local policy): a route the operator set to "none" is a next hop
                // whose TLS is broken: no STARTTLS, unless the policy in force requires verified TLS
                need = TlsRequirement.NONE;
            }
            Optional<HostFailure> failure = viaHost(request, state, c.target(), c.address(), need, policy,
                    route.isEmpty() && !request.envelope().tlsOptional());
            if (failure.isPresent()) {
                last = failure.get();
            }
            if (state.done()) {
                break;
            }
        }
        return state.finish(last);
    }

    /** One address to try, with the target (MX host or route) it belongs to. */
    private record Candidate(Target target, InetSocketAddress address) {
    }

    private static List<RecipientOutcome> settled(Recipients state, Outcome o) {
        state.settleAll(state.pending(), o);
        return state.finish(HostFailure.temporary(o.status(), o.diagnostic(), Optional.empty()));
    }

    private static TlsRequirement stronger(TlsRequirement a, TlsRequirement b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    /** A and AAAA records of an MX host, IPv4 first (in the resolver's order within each family). */
    private Optional<HostFailure> addresses(Domain host, List<InetAddress> out) {
        if (host.isAddressLiteral()) {
            try {
                String lit = host.name().substring(1, host.name().length() - 1).replaceFirst("(?i)^IPv6:", "");
                out.add(InetAddress.getByName(lit));
                return Optional.empty();
            } catch (IOException e) {
                return Optional.of(HostFailure.temporary("4.4.4", "bad address literal " + host, Optional.empty()));
            }
        }
        Dns.Addresses found = dns.addresses(host.name());
        out.addAll(found.list());
        if (!out.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(found.lookupFailure()
                .map(why -> HostFailure.temporary("4.4.3", "address lookup for " + host + " failed: " + why, Optional.empty()))
                .orElseGet(() -> HostFailure.temporary("4.4.4", "MX host " + host + " has no address", Optional.empty())));
    }

    private Optional<HostFailure> viaHost(DeliveryRequest request, Recipients state, Target target,
            InetSocketAddress address, TlsRequirement need, TransportPolicy policy, boolean report) {
        String policySource = policy.source();
        String mxName = target.host().name();
        String where = mxName + "[" + address.getAddress().getHostAddress() + "]:" + address.getPort();
        SessionPool.Destination key = new SessionPool.Destination(address, mxName, need,
                target.auth().map(Route.Credentials::user).orElse(""));
        Instant start = clock.instant();
        List<MailAddress> rcpts = state.pending();
        Optional<SmtpSession> pooled = pool.take(key);
        if (pooled.isPresent()) {
            try {
                Optional<HostFailure> f = MailTransaction.run(pooled.get(), request, rcpts, state, mxName, settings.timeouts());
                if (f.isEmpty() || f.get().permanent() || state.pending().size() != rcpts.size()) {
                    finishSession(key, pooled.get(), f);
                    log(request, where, pooled.get(), "reused", f, rcpts, start, policySource);
                    return f;
                }
                // RFC 5321 §3.8: a refusal on an idle session (a "421" the server sent before hanging
                // up, read as the answer to MAIL) says nothing of a fresh connection: open one below
                pooled.get().close();
            } catch (IOException e) {
                pooled.get().close();
                if (state.pending().size() != rcpts.size()) {
                    HostFailure f = networkFailure(e, where, Optional.of(mxName));
                    log(request, where, pooled.get(), "reused", Optional.of(f), rcpts, start, policySource);
                    return Optional.of(f);
                }
                // the server had closed the idle connection before our MAIL: nothing happened, open a fresh one
            }
        }
        SmtpSession session = null;
        String verdict = "-";
        try {
            SessionSetup.Opened opened = open(target, address, need, mxName, policy);
            session = opened.session();
            verdict = opened.verdict();
            if (report) {
                opened.tls().map(t -> policy.mxListed().test(target.host()) ? t : UNLISTED)
                        .ifPresent(t -> record(request.domain(), policy, t, opened.session(), mxName));
            }
            if (opened.failure().isPresent()) {
                log(request, where, session, verdict, opened.failure(), rcpts, start, policySource);
                return opened.failure();
            }
            Optional<HostFailure> f = MailTransaction.run(session, request, rcpts, state, mxName, settings.timeouts());
            finishSession(key, session, f);
            log(request, where, session, verdict, f, rcpts, start, policySource);
            return f;
        } catch (IOException e) {
            // recipients the broken transaction did not settle stay pending for the next host
            HostFailure f = networkFailure(e, where, Optional.of(mxName));
            if (session != null) {
                session.close();
            }
            log(request, where, session, verdict, Optional.of(f), rcpts, start, policySource);
            return Optional.of(f);
        }
    }

    private void finishSession(SessionPool.Destination key, SmtpSession s, Optional<HostFailure> f) {
        if (f.isEmpty() && s.reusable()) {
            pool.give(key, s);
        } else {
            s.quitInBackground();
        }
    }

    /** RFC 8460 §4: one result per session that reached the TLS decision. */
    private void record(Domain domain, TransportPolicy policy, SessionSetup.TlsOutcome t, SmtpSession s, String mxName) {
        report(new TlsSessionResult(domain, policy.reported(), t.type(),
                s.local().map(a -> a.getAddress().getHostAddress()), Optional.of(mxName), s.greetingName(),
                Optional.of(s.remote().getAddress().getHostAddress()),
                t.detail().isEmpty() ? Optional.empty() : Optional.of(t.detail()), clock.instant()));
    }

    /** Hands a result to the recorder; a failing recorder never costs a delivery. */
    private void report(TlsSessionResult result) {
        try {
            reports.record(result);
        } catch (RuntimeException e) {
            LOG.warn("tls report recording failed: {}", e.toString());
        }
    }


    /**
     * RFC 8460 has no result type for an MX the MTA-STS policy does not list (RPT-33); the
     * checklist's choice: {@code validation-failure} with this reason code. Under {@code testing}
     * the session to such a host counts so, whatever its certificate.
     */
    static final String MX_NOT_IN_POLICY = "mx-not-in-sts-policy";
    private static final SessionSetup.TlsOutcome UNLISTED =
            new SessionSetup.TlsOutcome(TlsResultType.VALIDATION_FAILURE, MX_NOT_IN_POLICY);

    /** An MX skipped under {@code enforce} because the policy does not list it: no addresses, no session. */
    private void recordSkipped(Domain domain, TransportPolicy policy, Domain mx) {
        report(new TlsSessionResult(domain, policy.reported(), TlsResultType.VALIDATION_FAILURE,
                Optional.empty(), Optional.of(mx.name()), Optional.empty(), Optional.empty(),
                Optional.of(MX_NOT_IN_POLICY), clock.instant()));
    }

    /** Connect, greeting, EHLO, STARTTLS and the certificate check, AUTH: a session ready for MAIL. */
    private SessionSetup.Opened open(Target target, InetSocketAddress address, TlsRequirement need, String mxName,
            TransportPolicy policy) throws IOException {
        SmtpSession s;
        try {
            s = SmtpSession.connect(group, address, settings.timeouts());
        } catch (IOException e) {
            // refused or timed out: skip this address for a while (RFC 5321 §4.5.4.1)
            dead.markDead(address);
            throw e;
        }
        dead.markAlive(address);
        try {
            return setup.negotiate(s, target.auth(), need, mxName, policy);
        } catch (IOException e) {
            // RFC 3207 §4: a session that fails half-way (no greeting, a failed handshake, injected
            // replies) is aborted here; the caller never saw it and could not close it
            s.close();
            throw e;
        }
    }

    private static HostFailure networkFailure(IOException e, String where, Optional<String> remote) {
        String status = e instanceof SocketTimeoutException ? "4.4.2" : e instanceof ConnectException ? "4.4.1" : "4.4.2";
        return HostFailure.temporary(status, "connection to " + where + " failed: " + e.getMessage(), remote);
    }

    private void log(DeliveryRequest request, String where, SmtpSession s, String verdict, Optional<HostFailure> failure,
            List<MailAddress> rcpts, Instant start, String policy) {
        String result = failure.map(f -> f.status() + " " + f.text()).orElse("ok");
        LOG.info("attempt id={} domain={} mx={} tls={} cipher={} verify={} policy={} rcpts={} result=\"{}\" delay={}ms",
                request.id(), request.domain(), where, s == null ? "none" : s.tlsProtocol(),
                s == null ? "none" : s.tlsCipher(), verdict, policy, rcpts.size(), result,
                Duration.between(start, clock.instant()).toMillis());
    }

    @Override
    public void close() {
        pool.close();
        sweeper.shutdownNow();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5000);
    }
}
