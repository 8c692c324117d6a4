package relay.core.policy;

import java.util.function.Predicate;
import relay.core.mail.Domain;

/**
 * What the policy in force demands of a delivery to one domain. The transport enforces it
 * without knowing where it came from (MTA-STS, a configured route, an override).
 *
 * @param tls the TLS the session must achieve
 * @param mxAllowed which MX host names may receive the mail; a host it rejects is treated as
 *     unreachable (RFC 8461 §5: walk on, never fall back to it)
 * @param source a short name for logs and DSNs, e.g. {@code "mta-sts enforce"}, {@code "none"}
 * @param reported how TLS reports name this policy (RFC 8460 §4.4)
 * @param mxListed which MX hosts the policy lists: under MTA-STS {@code testing} every host is
 *     allowed but an unlisted one is reported (RFC 8460, RPT-33)
 */
public record TransportPolicy(TlsRequirement tls, Predicate<Domain> mxAllowed, String source, ReportedPolicy reported,
        Predicate<Domain> mxListed) {

    /** A policy whose allowed hosts are the listed ones. */
    public TransportPolicy(TlsRequirement tls, Predicate<Domain> mxAllowed, String source, ReportedPolicy reported) {
        this(tls, mxAllowed, source, reported, mxAllowed);
    }

    /** A policy that TLS reports count as {@code no-policy-found} (a route, an override, a test). */
    public TransportPolicy(TlsRequirement tls, Predicate<Domain> mxAllowed, String source) {
        this(tls, mxAllowed, source, ReportedPolicy.NO_POLICY_FOUND);
    }

    /** No policy: encrypt when the server offers it, any MX. */
    public static TransportPolicy opportunistic() {
        return new TransportPolicy(TlsRequirement.OPPORTUNISTIC, mx -> true, "none");
    }

    /** Whether a failure under this policy is an MTA-STS failure that RFC 8461 §5.1 re-checks. */
    public boolean enforced() {
        return tls == TlsRequirement.VERIFIED && reported.type() == ReportedPolicy.Type.STS;
    }
}
