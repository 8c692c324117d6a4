package relay.core.mail;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * An RFC 5321 §4.1.2 Mailbox: a local part and a domain. The local part keeps its case (RFC 5321
 * §2.4: only the destination host may interpret it); the domain is canonical.
 */
public record MailAddress(String localPart, Domain domain) {

    /** RFC 5321 §4.5.3.1.1: the maximum total length of a user name or other local part. */
    public static final int MAX_LOCAL_PART_OCTETS = 64;
    /** RFC 5321 §4.5.3.1.3: the maximum total length of a reverse-path or forward-path, less the brackets. */
    public static final int MAX_PATH_OCTETS = 254;

    public MailAddress {
        if (localPart == null || localPart.isEmpty() || domain == null) {
            throw new IllegalArgumentException("incomplete address");
        }
    }

    /**
     * Parses a Mailbox (without angle brackets), RFC 5321 §4.1.2: {@code Local-part "@" ( Domain /
     * address-literal )}, the local part a Dot-string or a Quoted-string. UTF-8 in the local part
     * is accepted only when {@code utf8} is set (RFC 6531 SMTPUTF8).
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static MailAddress parse(String mailbox, boolean utf8) {
        if (mailbox == null || mailbox.isEmpty()) {
            throw new IllegalArgumentException("empty address");
        }
        if (mailbox.getBytes(StandardCharsets.UTF_8).length > MAX_PATH_OCTETS) {
            throw new IllegalArgumentException("address longer than " + MAX_PATH_OCTETS + " octets");
        }
        int at = LocalPart.end(mailbox, utf8);
        if (at >= mailbox.length() || mailbox.charAt(at) != '@') {
            throw new IllegalArgumentException("address '" + mailbox + "' has no '@' after its local part");
        }
        String local = mailbox.substring(0, at);
        if (local.getBytes(StandardCharsets.UTF_8).length > MAX_LOCAL_PART_OCTETS) {
            throw new IllegalArgumentException("local part longer than " + MAX_LOCAL_PART_OCTETS + " octets");
        }
        String domainText = mailbox.substring(at + 1);
        if (!utf8 && !isAscii(domainText)) {
            throw new IllegalArgumentException("non-ASCII domain without SMTPUTF8");
        }
        return new MailAddress(local, Domain.parse(domainText));
    }

    /** Whether this address can only be carried by an SMTPUTF8 session (RFC 6531 §3.4). */
    public boolean needsSmtpUtf8() {
        return !isAscii(localPart);
    }

    /** The domain of an address given as text, if it has one that parses. */
    public static Optional<Domain> domainOf(String mailbox) {
        try {
            return Optional.of(parse(mailbox, true).domain());
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) > 0x7f) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return localPart + "@" + domain.name();
    }
}
