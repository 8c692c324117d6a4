package relay.sts.report;

import java.util.Objects;
import java.util.Optional;
import relay.core.report.TlsResultType;

/**
 * One distinct failure under one policy on one day, with how many sessions ended in it: an entry
 * of RFC 8460 §4.4 {@code failure-details}. IP addresses are in the form {@link IpText} gives them.
 *
 * @param additionalInformation the recorder's free text: a URI goes to {@code additional-information},
 *     anything else to {@code failure-reason-code} (RPT-24, RPT-27)
 */
public record FailureDetail(TlsResultType resultType, Optional<String> sendingMtaIp, Optional<String> receivingMxHostname,
        Optional<String> receivingMxHelo, Optional<String> receivingIp, Optional<String> additionalInformation,
        long failedSessionCount) {

    public FailureDetail {
        Objects.requireNonNull(resultType, "resultType");
        if (resultType == TlsResultType.SUCCESS) {
            throw new IllegalArgumentException("a failure detail is not a success");
        }
        if (failedSessionCount < 0) {
            throw new IllegalArgumentException("negative count " + failedSessionCount);
        }
    }

    /** The same detail counting {@code n} sessions. */
    public FailureDetail withCount(long n) {
        return new FailureDetail(resultType, sendingMtaIp, receivingMxHostname, receivingMxHelo, receivingIp,
                additionalInformation, n);
    }
}
