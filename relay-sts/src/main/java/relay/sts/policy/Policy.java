package relay.sts.policy;

import java.util.List;
import java.util.Objects;
import relay.core.mail.Domain;

/**
 * A valid MTA-STS policy (RFC 8461 §3.2), version {@code STSv1}.
 *
 * @param mode what to do when validation fails
 * @param maxAge how long the policy may be cached, clamped (see {@link MaxAge})
 * @param mx the allowed MX patterns, in policy order; empty only when the mode is {@code none}
 * @param lines the policy as served, one element per line, without line ends or a leading
 *     byte order mark, blank lines included: RFC 8460 §4.4 reports the policy as its lines
 *     ({@code policy-string}), and the store can parse them again on load
 */
public record Policy(Mode mode, MaxAge maxAge, List<MxPattern> mx, List<String> lines) {

    public Policy {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(maxAge, "maxAge");
        mx = List.copyOf(mx);
        lines = List.copyOf(lines);
        if (mx.isEmpty() && mode != Mode.NONE) {
            // RFC 8461 §3.2: mx is required at least once, except when mode is "none"
            throw new IllegalArgumentException("a policy in mode " + mode.token() + " needs an mx pattern");
        }
    }

    /**
     * RFC 8461 §4 and §4.1: true when at least one {@code mx} pattern matches the MX host name.
     * It says nothing of the mode: under {@code none} nobody should ask (§5), and a policy in
     * mode {@code none} without patterns permits no host.
     */
    public boolean permits(Domain mxHost) {
        return mx.stream().anyMatch(pattern -> pattern.matches(mxHost));
    }
}
