package relay.sts.check;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import relay.core.dns.MxHost;
import relay.core.dns.MxLookup;
import relay.core.dns.MxResolver;
import relay.core.mail.Domain;
import relay.sts.check.CheckReport.Outcome;
import relay.sts.check.CheckReport.PolicySummary;
import relay.sts.fetch.FetchResult;
import relay.sts.policy.Mode;
import relay.sts.policy.Policy;
import relay.sts.policy.PolicyParser;
import relay.sts.policy.PolicyResult;
import relay.sts.record.StsDiscovery;
import relay.sts.record.StsLookup;

/**
 * The whole MTA-STS discovery of one domain, live and without a cache, as an operator's
 * validator ({@code relay sts check}): TXT (RFC 8461 §3.1), fetch (§3.3), parse (§3.2), MX
 * lookup (RFC 5321 §5.1), MX matching (§4.1) and a STARTTLS probe of every MX (§4.2), then what
 * a sender would do (§5). Every MX is probed, listed or not, so the report shows all that is wrong
 * at once; without a usable policy the probes are only informative.
 */
public final class StsCheck {

    private final StsDiscovery discovery;
    private final Function<Domain, FetchResult> fetcher;
    private final MxResolver mxResolver;
    private final MxProbe probe;

    /**
     * @param discovery over a resolver with nothing cached yet
     * @param fetcher the policy fetch ({@code PolicyFetcher::fetch})
     */
    public StsCheck(StsDiscovery discovery, Function<Domain, FetchResult> fetcher, MxResolver mxResolver, MxProbe probe) {
        this.discovery = discovery;
        this.fetcher = fetcher;
        this.mxResolver = mxResolver;
        this.probe = probe;
    }

    public CheckReport check(Domain domain) {
        StsLookup lookup = discovery.lookup(domain);
        if (lookup instanceof StsLookup.Failed f) {
            return new CheckReport(domain.name(), f.reason(), null, null, null, null, null, List.of(),
                    Outcome.DNS_FAILURE, "defer: the _mta-sts TXT lookup failed; a sender keeps a cached policy"
                            + " or tries again later");
        }
        var found = ((StsLookup.Answered) lookup).discovery();
        String recordText = found.describe();
        String id = found.found().map(r -> r.id()).orElse(null);
        Policy policy = null;
        String policyError = null;
        String resultType = null;
        if (id != null) {
            FetchResult fetched = fetcher.apply(domain);
            if (fetched instanceof FetchResult.Failed failed) {
                policyError = failed.reason();
                resultType = failed.kind().resultType();
            } else {
                PolicyResult parsed = PolicyParser.parse(((FetchResult.Fetched) fetched).body());
                if (parsed instanceof PolicyResult.Parsed p) {
                    policy = p.policy();
                } else {
                    policyError = "the policy is invalid: " + ((PolicyResult.Rejected) parsed).describe();
                    resultType = "sts-policy-invalid";
                }
            }
        }
        PolicySummary summary = policy == null ? null : new PolicySummary(policy.mode().token(),
                policy.maxAge().seconds(), policy.maxAge().clamped(), policy.mx().stream().map(Object::toString).toList());
        MxLookup mx = mxResolver.resolve(domain);
        List<MxCheck> probes = new ArrayList<>();
        String mxError = null;
        if (mx instanceof MxLookup.Hosts hosts) {
            for (MxHost h : hosts.hosts()) {
                probes.add(probe.probe(h, policy == null || policy.mode() == Mode.NONE || policy.permits(h.name())));
            }
        } else {
            mxError = describe(mx);
        }
        return conclude(domain, recordText, id, policyError, resultType, policy, summary, mx, mxError, probes);
    }

    private static CheckReport conclude(Domain domain, String recordText, String id, String policyError,
            String resultType, Policy policy, PolicySummary summary, MxLookup mx, String mxError, List<MxCheck> probes) {
        Outcome outcome;
        String action;
        if (mx instanceof MxLookup.TemporaryFailure) {
            outcome = Outcome.DNS_FAILURE;
            action = "defer: the MX lookup failed; a sender tries again later";
        } else if (policyError != null) {
            outcome = Outcome.POLICY_UNAVAILABLE;
            action = "no usable policy: a sender without a cached policy uses opportunistic TLS and reports "
                    + resultType + "; one with a cached policy keeps enforcing it";
        } else if (policy == null || policy.mode() == Mode.NONE) {
            outcome = Outcome.NO_POLICY;
            action = policy == null ? "no policy: opportunistic TLS" : "no policy (mode none): opportunistic TLS";
        } else {
            boolean allPass = !probes.isEmpty() && probes.stream().allMatch(MxCheck::passes);
            outcome = allPass ? Outcome.VALID : Outcome.MX_FAILS;
            action = action(policy.mode(), probes, mxError);
        }
        return new CheckReport(domain.name(), recordText, id, policyError, resultType, summary, mxError, probes, outcome,
                action);
    }

    /** RFC 8461 §5: enforce delivers only to the first MX that passes; testing delivers anyway and reports. */
    private static String action(Mode mode, List<MxCheck> probes, String mxError) {
        if (probes.isEmpty()) {
            return "bounce: " + mxError;
        }
        MxCheck first = probes.stream().filter(MxCheck::passes).findFirst().orElse(null);
        boolean allPass = probes.stream().allMatch(MxCheck::passes);
        if (mode == Mode.TESTING) {
            return allPass ? "deliver to " + first.host() + " with verified TLS (testing: failures would only be reported)"
                    : "testing: would deliver, failures reported";
        }
        if (first == null) {
            return "defer: no MX passes the enforce policy";
        }
        return "deliver to " + first.host() + " with verified TLS" + (allPass ? "" : " (other MX hosts fail the policy)");
    }

    private static String describe(MxLookup mx) {
        if (mx instanceof MxLookup.NullMx) {
            return "the domain accepts no mail (null MX, RFC 7505)";
        }
        if (mx instanceof MxLookup.NoSuchDomain n) {
            return n.reason();
        }
        return ((MxLookup.TemporaryFailure) mx).reason();
    }
}
