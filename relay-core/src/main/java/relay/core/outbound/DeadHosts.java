package relay.core.outbound;

import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Addresses that recently refused or timed out a connection (RFC 5321 §4.5.4.1: keep a list of
 * unreachable hosts). While remembered they are skipped, so one black-holed MX does not cost
 * every delivery a connect timeout.
 */
final class DeadHosts {

    private final Clock clock;
    private final Duration memory;
    private final Map<InetSocketAddress, Instant> until = new ConcurrentHashMap<>();

    DeadHosts(Clock clock, Duration memory) {
        this.clock = clock;
        this.memory = memory;
    }

    void markDead(InetSocketAddress address) {
        if (!memory.isZero()) {
            until.put(address, clock.instant().plus(memory));
        }
    }

    void markAlive(InetSocketAddress address) {
        until.remove(address);
    }

    boolean isDead(InetSocketAddress address) {
        Instant t = until.get(address);
        if (t == null) {
            return false;
        }
        if (clock.instant().isAfter(t)) {
            until.remove(address, t);
            return false;
        }
        return true;
    }
}
