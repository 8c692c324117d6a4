package relay.core.delivery;

import java.util.List;
import relay.core.mail.Domain;
import relay.core.mail.Envelope;
import relay.core.mail.MailAddress;
import relay.core.mail.QueueId;

/**
 * One delivery attempt: a message, the recipients still due at one domain, and how to read the
 * message. {@code attempt} counts from 1; {@code last} is true when the queue lifetime is over,
 * so that a deferral will be a bounce (RFC 8461 §5.1: the agent re-checks the policy first).
 */
public record DeliveryRequest(QueueId id, Envelope envelope, Domain domain, List<MailAddress> recipients,
        MessageSource message, int attempt, boolean last) {

    public DeliveryRequest {
        recipients = List.copyOf(recipients);
        if (recipients.isEmpty()) {
            throw new IllegalArgumentException("a delivery request needs recipients");
        }
    }

    /** An attempt within the queue lifetime. */
    public DeliveryRequest(QueueId id, Envelope envelope, Domain domain, List<MailAddress> recipients,
            MessageSource message, int attempt) {
        this(id, envelope, domain, recipients, message, attempt, false);
    }

    /** The same attempt for fewer recipients. */
    public DeliveryRequest forRecipients(List<MailAddress> subset) {
        return new DeliveryRequest(id, envelope, domain, subset, message, attempt, last);
    }
}
