package relay.core.report;

/**
 * RFC 8460 §4: counts every outbound TLS session (and every MTA-STS policy fetch failure) for the
 * daily aggregate reports. Exactly one call per session. Implemented in relay-sts, wired in
 * relay-app; must be cheap and must never throw into a delivery.
 */
public interface TlsReportRecorder {

    void record(TlsSessionResult result);

    /** Records nothing: for tests and for a relay with reporting switched off. */
    static TlsReportRecorder none() {
        return result -> { };
    }
}
