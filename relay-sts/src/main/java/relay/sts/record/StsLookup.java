package relay.sts.record;

/**
 * The outcome of looking up {@code _mta-sts.<domain>}: DNS answered (and the answer says what
 * it says), or DNS did not answer. RFC 8461 §3.3 and §5.1 treat both the same way for a cached
 * policy (keep it), but logs, reports and the §5.1 re-check must tell them apart.
 */
public sealed interface StsLookup {

    /** DNS answered: NXDOMAIN and NODATA are {@link Discovery.NoRecord}, not failures. */
    record Answered(Discovery discovery) implements StsLookup {
    }

    /** No answer: SERVFAIL, timeout, network (RFC 8460 result type {@code sts-policy-fetch-error}). */
    record Failed(String reason) implements StsLookup {
    }
}
