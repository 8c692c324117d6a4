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
 */
public record TransportPolicy(TlsRequirement tls, Predicate<Domain> mxAllowed, String source) {

    /** No policy: encrypt when the server offers it, any MX. */
    public static TransportPolicy opportunistic() {
        return new TransportPolicy(TlsRequirement.OPPORTUNISTIC, mx -> true, "none");
    }
}
