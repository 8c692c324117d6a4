package relay.queue;

import java.time.Instant;
import relay.core.delivery.DeliveryRequest;

/**
 * The first attempt at one recipient domain of a message just accepted, built from what the
 * spool had in memory: the claim its recipients were stored under, the request with the
 * message's bytes, and when it arrived.
 *
 * @param wholeMessage the claim covers every recipient of the message, so a full success can
 *     delete the message without reading any other recipient's state
 * @param done run once the attempt is over (recorded or abandoned)
 */
record FreshAttempt(Claim claim, DeliveryRequest request, Instant arrival, boolean wholeMessage, Runnable done) {

    FreshAttempt(Claim claim, DeliveryRequest request, Instant arrival, boolean wholeMessage) {
        this(claim, request, arrival, wholeMessage, () -> { });
    }

    /** The same attempt, running {@code then} once it is over. */
    FreshAttempt whenDone(Runnable then) {
        return new FreshAttempt(claim, request, arrival, wholeMessage, then);
    }
}
