package relay.core.policy;

import java.util.Map;
import relay.core.mail.Domain;

/**
 * Operator overrides in front of the policy source, per recipient domain: {@code skip} ignores a
 * broken domain's MTA-STS policy (deliver with opportunistic TLS, as with no policy), {@code
 * require} demands verified TLS even where the domain publishes no policy (a partner). Local
 * policy, which RFC 8461 leaves to the sender; the relay logs each one at start-up.
 */
public final class PolicyOverrides implements TlsPolicySource {

    /** What an operator asked for one domain. */
    public enum Action {
        /** Ignore the domain's MTA-STS policy: opportunistic TLS, any MX, nothing to re-check. */
        SKIP,
        /** Verified TLS at least; a stricter MTA-STS {@code enforce} policy still applies whole. */
        REQUIRE
    }

    private final Map<Domain, Action> overrides;
    private final TlsPolicySource next;

    public PolicyOverrides(Map<Domain, Action> overrides, TlsPolicySource next) {
        this.overrides = Map.copyOf(overrides);
        this.next = next;
    }

    @Override
    public TransportPolicy policyFor(Domain domain) {
        Action o = overrides.get(domain);
        if (o == null) {
            return next.policyFor(domain);
        }
        if (o == Action.SKIP) {
            return new TransportPolicy(TlsRequirement.OPPORTUNISTIC, mx -> true, "override skip");
        }
        TransportPolicy underlying = next.policyFor(domain);
        if (underlying.tls() == TlsRequirement.VERIFIED) {
            return underlying;
        }
        // the domain's own policy (testing, none, or nothing) asks for less: failures are ours,
        // not the domain's, so TLS reports count them as no-policy-found
        return new TransportPolicy(TlsRequirement.VERIFIED, underlying.mxAllowed(), "override require");
    }

    @Override
    public PolicyRecheck recheck(Domain domain) {
        return overrides.get(domain) == Action.SKIP
                ? new PolicyRecheck.Unchanged("MTA-STS is skipped for " + domain + " by configuration")
                : next.recheck(domain);
    }
}
