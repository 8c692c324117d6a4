package relay.core.mail;

import java.util.List;
import java.util.Optional;

/**
 * What MAIL and RCPT said: the reverse-path (empty for the null sender {@code <>}, RFC 5321
 * §4.5.5), the forward-paths in the order given, and whether the message needs SMTPUTF8
 * (RFC 6531) or 8BITMIME (RFC 6152) from every next hop.
 */
public record Envelope(Optional<MailAddress> sender, List<MailAddress> recipients, boolean smtpUtf8, boolean eightBit) {

    public Envelope {
        if (recipients == null || recipients.isEmpty()) {
            throw new IllegalArgumentException("an envelope needs at least one recipient");
        }
        recipients = List.copyOf(recipients);
    }

    /** The reverse-path as it goes on the wire: {@code <>} for the null sender. */
    public String reversePath() {
        return sender.map(a -> "<" + a + ">").orElse("<>");
    }
}
