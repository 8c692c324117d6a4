package relay.core.outbound;

import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import relay.core.policy.TlsRequirement;

/**
 * Idle connections kept open for the next message to the same destination (RFC 5321 §4.5.4.1:
 * one connection for several messages). A connection is pooled only after a clean transaction;
 * its TLS state and identity are part of the key, so a message never rides a session set up
 * under a weaker policy.
 */
final class SessionPool implements AutoCloseable {

    /** What a pooled session is good for. */
    record Destination(InetSocketAddress address, String serverName, TlsRequirement tls, String user) {
    }

    private record Idle(SmtpSession session, Instant since) {
    }

    private final Clock clock;
    private final OutboundSettings settings;
    private final Map<Destination, Deque<Idle>> idle = new ConcurrentHashMap<>();

    SessionPool(Clock clock, OutboundSettings settings) {
        this.clock = clock;
        this.settings = settings;
    }

    Optional<SmtpSession> take(Destination d) {
        Deque<Idle> q = idle.get(d);
        if (q == null) {
            return Optional.empty();
        }
        while (true) {
            Idle i;
            synchronized (q) {
                i = q.pollLast();
            }
            if (i == null) {
                return Optional.empty();
            }
            if (i.session().reusable() && !expired(i)) {
                return Optional.of(i.session());
            }
            i.session().quitInBackground();
        }
    }

    void give(Destination d, SmtpSession session) {
        if (!session.reusable() || settings.maxIdlePerDestination() == 0) {
            session.quitInBackground();
            return;
        }
        Deque<Idle> q = idle.computeIfAbsent(d, k -> new ArrayDeque<>());
        SmtpSession surplus = null;
        synchronized (q) {
            q.addLast(new Idle(session, clock.instant()));
            if (q.size() > settings.maxIdlePerDestination()) {
                surplus = q.pollFirst().session();
            }
        }
        if (surplus != null) {
            surplus.quitInBackground();
        }
    }

    /** Closes connections idle for longer than the configured time. */
    void sweep() {
        for (Deque<Idle> q : idle.values()) {
            List<SmtpSession> old = new ArrayList<>();
            synchronized (q) {
                q.removeIf(i -> {
                    boolean stale = expired(i) || !i.session().reusable();
                    if (stale) {
                        old.add(i.session());
                    }
                    return stale;
                });
            }
            old.forEach(SmtpSession::quitInBackground);
        }
    }

    private boolean expired(Idle i) {
        return clock.instant().isAfter(i.since().plus(settings.idleConnectionTime()));
    }

    @Override
    public void close() {
        for (Deque<Idle> q : idle.values()) {
            List<Idle> all;
            synchronized (q) {
                all = new ArrayList<>(q);
                q.clear();
            }
            all.forEach(i -> i.session().quit());
        }
    }
}
