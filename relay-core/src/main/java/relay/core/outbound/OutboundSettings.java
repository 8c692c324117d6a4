package relay.core.outbound;

import java.time.Duration;
import java.util.List;

/**
 * How the relay delivers.
 *
 * @param heloName the name the relay gives in EHLO
 * @param port the SMTP port of MX hosts (25; tests and operators may choose another)
 * @param maxHostsPerAttempt how many MX hosts (addresses) one attempt may try (RFC 5321 §5.1: at least two)
 * @param deadHostMemory how long an address that refused or timed out a connection is skipped
 * @param idleConnectionTime how long an idle connection is kept for the next message
 * @param maxIdlePerDestination idle connections kept per destination address
 * @param maxPerDomain deliveries in progress to one recipient domain at once
 * @param routes fixed next hops for some domains (smart host routes), first match wins
 */
public record OutboundSettings(String heloName, int port, SmtpTimeouts timeouts, int maxHostsPerAttempt,
        Duration deadHostMemory, Duration idleConnectionTime, int maxIdlePerDestination, int maxPerDomain,
        List<Route> routes) {

    public OutboundSettings {
        routes = List.copyOf(routes);
        if (maxHostsPerAttempt < 1 || maxIdlePerDestination < 0 || maxPerDomain < 1) {
            throw new IllegalArgumentException("outbound limits out of range");
        }
    }
}
