package relay.app;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** The whole configuration, as documented line by line in {@code conf/relay.yaml}. */
public record RelayConfig(String hostname, Data data, Smtp smtp, Queue queue, Dns dns, Delivery delivery,
        MtaSts mtaSts, Tlsrpt tlsrpt, Admin admin, Duration shutdownGrace) {

    /** @param minFreeSpace mail is refused (452 4.3.1) and the relay not ready below this much free space */
    public record Data(Path dir, Size minFreeSpace) {
    }

    /** {@code admin}: the HTTP server for metrics, health checks and the queue (the {@code relay queue} commands). */
    public record Admin(boolean enabled, String bind, int port, String token) {
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

    public record Dns(List<String> servers, Duration timeout) {
    }

    public record Delivery(boolean enabled, String heloName, int port, Duration connectTimeout, int maxHostsPerAttempt,
            Duration deadHostMemory, Duration idleConnectionTime, int maxIdlePerDestination, int maxPerDomain,
            List<String> extraCaFiles, List<RouteEntry> routes) {
    }

    /** {@code mta-sts}: RFC 8461 enforcement, the policy fetch, and per-domain overrides. */
    public record MtaSts(boolean enabled, int httpsPort, Duration connectTimeout, Duration fetchTimeout,
            Duration refreshCheck, Map<String, String> overrides) {
    }

    /** {@code tlsrpt}: RFC 8460 daily reports. */
    public record Tlsrpt(boolean enabled, String organizationName, String contactInfo, Duration window,
            Duration checkInterval, Duration connectTimeout, Duration postTimeout, Dkim dkim) {
    }

    /** The DKIM key that signs mailed reports (RFC 8460 §3). */
    public record Dkim(String domain, String selector, String keyFile) {
    }

    /** One entry of {@code delivery.routes}. */
    public record RouteEntry(String domain, String host, Integer port, String tls, String user, String password) {
    }
}
