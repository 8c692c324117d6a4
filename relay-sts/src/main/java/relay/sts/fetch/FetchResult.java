package relay.sts.fetch;

/** The outcome of one HTTPS GET of a policy, as a value. */
public sealed interface FetchResult {

    /** A 200 with a {@code text/plain} body of at most the cap: the policy text, not yet parsed. */
    record Fetched(byte[] body) implements FetchResult {
    }

    /** No policy came back; {@code reason} says why in words for logs and reports. */
    record Failed(Failure kind, String reason) implements FetchResult {
    }

    /** Why a fetch failed, with the RFC 8460 §4.3.2.2 result type each is reported as. */
    enum Failure {
        /** The policy host's certificate failed the PKIX or name checks (§3.3). */
        WEBPKI_INVALID("sts-webpki-invalid"),
        /** What came back cannot be a policy: wrong media type, too large. */
        INVALID("sts-policy-invalid"),
        /** No answer worth parsing: no address, no connection, timeout, not 200, a redirect. */
        FETCH_ERROR("sts-policy-fetch-error");

        private final String resultType;

        Failure(String resultType) {
            this.resultType = resultType;
        }

        public String resultType() {
            return resultType;
        }
    }
}
