package relay.core.dns;

import relay.core.mail.Domain;

/** One exchange from an MX record set: its name and preference (RFC 5321 §5.1). */
public record MxHost(Domain name, int preference) {
}
