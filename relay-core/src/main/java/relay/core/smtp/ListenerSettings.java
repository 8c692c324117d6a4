package relay.core.smtp;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLContext;

/**
 * How the submission listener behaves.
 *
 * @param hostName the name in the greeting, in EHLO and in Received headers
 * @param maxMessageSize octets a client may send in DATA (RFC 1870 SIZE), counted as received
 * @param maxRecipients RCPT commands accepted per message (RFC 5321 §4.5.3.1.8 asks for at least 100)
 * @param maxReceivedHeaders a message already carrying more Received fields is a loop (RFC 5321 §6.3)
 * @param clientNetworks clients in these networks may relay without authenticating
 * @param tls the server certificate for STARTTLS, when one is configured
 * @param users who may AUTH, when anyone may
 * @param allowPlaintextAuth offer AUTH before STARTTLS (off by default: RFC 4954 §4 passwords in clear)
 */
public record ListenerSettings(
        InetAddress bindAddress,
        int port,
        String hostName,
        int maxMessageSize,
        int maxRecipients,
        int maxConnections,
        int maxConnectionsPerClient,
        Duration commandTimeout,
        Duration dataTimeout,
        int maxReceivedHeaders,
        List<Cidr> clientNetworks,
        Optional<SSLContext> tls,
        Optional<UserDirectory> users,
        boolean allowPlaintextAuth) {

    public ListenerSettings {
        if (maxMessageSize <= 0) {
            // SubEtha treats 0 as "unlimited" and then refuses every SIZE= parameter (its issue #77)
            throw new IllegalArgumentException("maxMessageSize must be positive");
        }
        if (maxRecipients <= 0 || maxConnections <= 0 || maxConnectionsPerClient <= 0 || maxReceivedHeaders <= 0) {
            throw new IllegalArgumentException("listener limits must be positive");
        }
        clientNetworks = List.copyOf(clientNetworks);
    }
}
