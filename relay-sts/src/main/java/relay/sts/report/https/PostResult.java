package relay.sts.report.https;

/** The outcome of one HTTPS report POST (RFC 8460 §5.4). */
public sealed interface PostResult {

    /** RPT-47: a 2xx answer; the report counts as delivered to this endpoint. */
    record Delivered(int status) implements PostResult {
    }

    /** Anything else (connect, TLS, certificate, non-2xx, timeout); retried later (RPT-48). */
    record Failed(String reason) implements PostResult {
    }

    default boolean delivered() {
        return this instanceof Delivered;
    }
}
