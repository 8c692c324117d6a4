package relay.core.delivery;

import java.util.List;

/**
 * Delivers one message to the recipients it has at one domain. The queue calls it for each due
 * (message, recipient domain) group and turns the outcomes into state; the agent never touches
 * the queue.
 */
public interface DeliveryAgent {

    /**
     * Attempts delivery and returns exactly one outcome per recipient of the request, in any
     * order. Failures are outcomes, never exceptions: an exception is a bug, and the queue
     * defers every recipient of the request when one escapes.
     */
    List<RecipientOutcome> deliver(DeliveryRequest request);
}
