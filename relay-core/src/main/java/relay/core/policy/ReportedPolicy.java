package relay.core.policy;

import java.util.List;
import java.util.Locale;

/**
 * How a TLS report names the policy a session ran under (RFC 8460 §4.4, the {@code policy}
 * object): its type, the policy text line by line, and the MX patterns it lists.
 *
 * @param type {@code sts}, {@code tlsa} or {@code no-policy-found}
 * @param policyString the policy's lines as fetched, without line endings ({@code policy-string})
 * @param mxHost the policy's {@code mx} patterns ({@code mx-host}), empty for other types
 * @param policyId the MTA-STS TXT id, to tell policies apart in aggregates (not in the JSON)
 */
public record ReportedPolicy(Type type, List<String> policyString, List<String> mxHost,
        String policyId) {

    /** RFC 8460 §4.4 policy types. */
    public enum Type {
        STS, TLSA, NO_POLICY_FOUND;

        /** The JSON token: {@code sts}, {@code tlsa}, {@code no-policy-found}. */
        public String token() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    public ReportedPolicy {
        policyString = List.copyOf(policyString);
        mxHost = List.copyOf(mxHost);
    }

    /** RFC 8460 §4.4: no policy applied to the domain. */
    public static final ReportedPolicy NO_POLICY_FOUND =
            new ReportedPolicy(Type.NO_POLICY_FOUND, List.of(), List.of(), "");
}
