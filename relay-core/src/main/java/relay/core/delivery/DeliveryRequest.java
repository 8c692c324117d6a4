package relay.core.delivery;

import java.util.List;
import relay.core.mail.Domain;
import relay.core.mail.Envelope;
import relay.core.mail.MailAddress;
import relay.core.mail.QueueId;

/**
 * One delivery attempt: a message, the recipients still due at one domain, and how to read the
 * message. {@code attempt} counts from 1.
 */
public record DeliveryRequest(QueueId id, Envelope envelope, Domain domain, List<MailAddress> recipients,
        MessageSource message, int attempt) {

    public DeliveryRequest {
        recipients = List.copyOf(recipients);
        if (recipients.isEmpty()) {
            throw new IllegalArgumentException("a delivery request needs recipients");
        }
    }
}
