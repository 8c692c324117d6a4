package relay.core.outbound;

import java.util.Optional;
import relay.core.delivery.Outcome;

/**
 * The one place where replies become outcomes. "Unknown means later": only a 5xx bounces;
 * anything else that is not a 2xx defers (RFC 5321 §4.2.1, §4.5.4.1).
 */
final class Classifier {

    private Classifier() {
    }

    static Outcome fromReply(SmtpReply reply, String mx) {
        Optional<String> remote = Optional.of(mx);
        if (reply.positive()) {
            return new Outcome.Delivered(status(reply), reply.toString(), remote);
        }
        if (reply.permanentFailure()) {
            return new Outcome.Bounced(status(reply), reply.toString(), remote);
        }
        return new Outcome.Deferred(status(reply), reply.toString(), remote);
    }

    /** The server's enhanced status code, or the generic one of the reply's class (RFC 3463). */
    static String status(SmtpReply reply) {
        return reply.enhancedStatus().orElse(reply.positive() ? "2.0.0" : reply.permanentFailure() ? "5.0.0" : "4.0.0");
    }
}
