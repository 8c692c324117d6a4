package relay.core.mail;

import java.util.List;
import java.util.Optional;

/**
 * What MAIL and RCPT said: the reverse-path (empty for the null sender {@code <>}, RFC 5321
 * §4.5.5), the forward-paths in the order given, and whether the message needs SMTPUTF8
 * (RFC 6531) or 8BITMIME (RFC 6152) from every next hop. {@code tlsOptional}: the message
 * carries {@code TLS-Required: No} (RFC 8689 §5), so TLS policies must not stop it.
 */
public record Envelope(Optional<MailAddress> sender, List<MailAddress> recipients, boolean smtpUtf8, boolean eightBit,
        boolean tlsOptional) {

    public Envelope(Optional<MailAddress> sender, List<MailAddress> recipients, boolean smtpUtf8, boolean eightBit) {
        this(sender, recipients, smtpUtf8, eightBit, false);
    }

    /** The same envelope for a message that carries {@code TLS-Required: No}. */
    public Envelope withTlsOptional() {
        return new Envelope(sender, recipients, smtpUtf8, eightBit, true);
    }

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
