package relay.app;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** The whole configuration, as documented line by line in {@code conf/relay.yaml}. */
public record RelayConfig(String hostname, Data data, Smtp smtp, Queue queue, Duration shutdownGrace) {

    public record Data(Path dir) {
    }

    public record Smtp(String bind, int port, Size maxMessageSize, int maxRecipients, int maxConnections,
            int maxConnectionsPerClient, Duration commandTimeout, Duration dataTimeout, int maxReceivedHeaders,
            List<String> clientNetworks, Tls tls, Auth auth) {
    }

    public record Tls(String certificate, String privateKey) {
        public boolean configured() {
            return !certificate.isBlank() || !privateKey.isBlank();
        }
    }

    public record Auth(Map<String, String> users, boolean allowPlaintext) {
    }

    public record Queue(Duration lifetime, Duration firstRetry, Duration maxRetry, Duration lease, int workers,
            Duration pollInterval) {
    }
}
