package relay.core.delivery;

import relay.core.mail.MailAddress;

/** The outcome of one attempt for one recipient. */
public record RecipientOutcome(MailAddress recipient, Outcome outcome) {
}
