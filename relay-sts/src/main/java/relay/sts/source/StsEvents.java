package relay.sts.source;

import relay.core.mail.Domain;

/**
 * What {@link StsPolicySource} tells an observer (the relay's metrics): how each delivery's
 * policy was found, and how each fetch ended. Must be cheap and must not throw.
 */
public interface StsEvents {

    /** How a delivery's policy lookup was answered. */
    enum Lookup {
        /** A valid cached policy with the published id: no HTTPS request (RFC 8461 §3.3). */
        CACHE_HIT,
        /** A policy was fetched for the delivery (new id, or nothing valid cached). */
        FETCHED,
        /** No policy applies (no record, a failed fetch with nothing cached, an address literal). */
        NONE
    }

    default void lookup(Domain domain, Lookup how) {
    }

    /** A fetch ended: {@code outcome} is {@code ok} or its RFC 8460 result type. */
    default void fetch(Domain domain, String outcome) {
    }

    /** Counts nothing. */
    StsEvents NONE = new StsEvents() {
    };
}
