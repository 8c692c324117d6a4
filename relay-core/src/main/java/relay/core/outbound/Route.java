package relay.core.outbound;

import java.util.Optional;
import relay.core.mail.Domain;
import relay.core.policy.TlsRequirement;

/**
 * A fixed next hop for a domain, or for every domain ({@code *}): mail goes to {@code host:port}
 * instead of the domain's MX hosts, with the given TLS, and AUTH when credentials are set. The
 * policy in force may demand more ({@code verified} wins over anything); {@code none} (no
 * STARTTLS at all, for a next hop whose TLS is broken) holds unless it does.
 */
public record Route(String domain, Domain host, int port, TlsRequirement tls, Optional<Credentials> auth) {

    /** User name and password for AUTH PLAIN at the next hop (RFC 4616). */
    public record Credentials(String user, String password) {
        @Override
        public String toString() {
            return "Credentials[user=" + user + ", password=***]";
        }
    }

    public boolean matches(Domain recipientDomain) {
        return domain.equals("*") || domain.equalsIgnoreCase(recipientDomain.name());
    }
}
