package relay.queue;

import relay.core.mail.Domain;
import relay.core.mail.QueueId;

/** A leased (message, recipient domain) group: the unit of one delivery attempt. */
public record Claim(QueueId id, Domain domain, String owner) {
}
