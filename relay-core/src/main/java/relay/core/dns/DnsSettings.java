package relay.core.dns;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

/**
 * Where and how the relay asks DNS.
 *
 * @param servers recursive resolvers to ask, in order; empty means the system's (/etc/resolv.conf)
 * @param timeout per query, including retries on other servers
 */
public record DnsSettings(List<InetSocketAddress> servers, Duration timeout) {

    public DnsSettings {
        servers = List.copyOf(servers);
    }
}
