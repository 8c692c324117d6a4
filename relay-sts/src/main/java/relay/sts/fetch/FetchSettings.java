package relay.sts.fetch;

import java.time.Duration;

/**
 * How policies are fetched (RFC 8461 §3.3).
 *
 * @param port the HTTPS port of policy hosts: 443 on the Internet, another for tests
 * @param connectTimeout per address
 * @param totalTimeout the whole fetch, from the first connect to the last byte (§3.3 suggests
 *     at most a minute)
 * @param maxBytes the body cap (§3.3 suggests 64 KiB), enforced while the body streams in
 */
public record FetchSettings(int port, Duration connectTimeout, Duration totalTimeout, int maxBytes) {

    public static final int RFC_MAX_BYTES = 64 * 1024;
}
