package relay.core.testing;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import relay.core.smtp.Cidr;
import relay.core.smtp.ListenerSettings;
import relay.core.smtp.UserDirectory;

/**
 * {@link ListenerSettings} for tests: loopback, an ephemeral port, small limits that tests can
 * reach, 127.0.0.0/8 as the client network, no TLS and no users unless set.
 */
public final class ListenerSettingsBuilder {

    public static final String HOST_NAME = "relay.example.test";

    private int maxMessageSize = 10_000;
    private int maxRecipients = 3;
    private int maxConnections = 20;
    private int maxConnectionsPerClient = 5;
    private Duration commandTimeout = Duration.ofSeconds(10);
    private Duration dataTimeout = Duration.ofSeconds(10);
    private int maxReceivedHeaders = 5;
    private List<Cidr> clientNetworks = List.of(Cidr.parse("127.0.0.0/8"));
    private Optional<SSLContext> tls = Optional.empty();
    private Optional<UserDirectory> users = Optional.empty();
    private boolean allowPlaintextAuth;

    public static ListenerSettingsBuilder listener() {
        return new ListenerSettingsBuilder();
    }

    public ListenerSettingsBuilder maxMessageSize(int octets) {
        this.maxMessageSize = octets;
        return this;
    }

    public ListenerSettingsBuilder maxRecipients(int n) {
        this.maxRecipients = n;
        return this;
    }

    public ListenerSettingsBuilder maxConnectionsPerClient(int n) {
        this.maxConnectionsPerClient = n;
        return this;
    }

    public ListenerSettingsBuilder commandTimeout(Duration timeout) {
        this.commandTimeout = timeout;
        return this;
    }

    public ListenerSettingsBuilder dataTimeout(Duration timeout) {
        this.dataTimeout = timeout;
        return this;
    }

    public ListenerSettingsBuilder maxReceivedHeaders(int n) {
        this.maxReceivedHeaders = n;
        return this;
    }

    /** The networks that may relay without AUTH, e.g. {@code "10.0.0.0/8"} to shut out loopback. */
    public ListenerSettingsBuilder clientNetworks(String... cidrs) {
        this.clientNetworks = java.util.Arrays.stream(cidrs).map(Cidr::parse).toList();
        return this;
    }

    public ListenerSettingsBuilder tls(SSLContext serverContext) {
        this.tls = Optional.of(serverContext);
        return this;
    }

    public ListenerSettingsBuilder users(UserDirectory directory) {
        this.users = Optional.of(directory);
        return this;
    }

    public ListenerSettingsBuilder allowPlaintextAuth(boolean allow) {
        this.allowPlaintextAuth = allow;
        return this;
    }

    public ListenerSettings build() {
        return new ListenerSettings(InetAddress.getLoopbackAddress(), 0, HOST_NAME, maxMessageSize, maxRecipients,
                maxConnections, maxConnectionsPerClient, commandTimeout, dataTimeout, maxReceivedHeaders,
                clientNetworks, tls, users, allowPlaintextAuth);
    }
}
