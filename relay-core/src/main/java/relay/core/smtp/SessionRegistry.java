package relay.core.smtp;

import java.net.InetAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.subethamail.smtp.server.Session;
import org.subethamail.smtp.server.SessionHandler;
import org.subethamail.smtp.server.SessionHandler.SessionAcceptance;

/**
 * Per-connection state SubEtha does not keep (whether the client said EHLO or HELO) and the
 * per-client connection limit, answered with {@code 421 4.7.0} (RFC 5321 §3.8).
 */
final class SessionRegistry implements SessionHandler {

    private final int maxPerClient;
    private final ListenerEvents events;
    private final Map<InetAddress, Integer> perClient = new ConcurrentHashMap<>();
    private final Map<Session, InetAddress> clients = new ConcurrentHashMap<>();
    private final Map<Session, Boolean> extended = new ConcurrentHashMap<>();

    SessionRegistry(int maxPerClient, ListenerEvents events) {
        this.maxPerClient = maxPerClient;
        this.events = events;
    }

    @Override
    public SessionAcceptance accept(Session session) {
        InetAddress client = session.getRealRemoteAddress().getAddress();
        boolean[] admitted = {false};
        perClient.compute(client, (k, v) -> {
            int n = v == null ? 0 : v;
            if (n >= maxPerClient) {
                return v;
            }
            admitted[0] = true;
            return n + 1;
        });
        if (!admitted[0]) {
            events.rejected(ListenerEvents.Rejection.TOO_MANY_CONNECTIONS);
            return SessionAcceptance.failure(421, "4.7.0 Too many connections from your address, try again later");
        }
        clients.put(session, client);
        return SessionAcceptance.success();
    }

    @Override
    public void onSessionEnd(Session session) {
        extended.remove(session);
        InetAddress client = clients.remove(session);
        if (client != null) {
            perClient.computeIfPresent(client, (k, v) -> v <= 1 ? null : v - 1);
        }
    }

    void greeted(Session session, boolean esmtp) {
        extended.put(session, esmtp);
    }

    boolean isExtended(Session session) {
        return extended.getOrDefault(session, false);
    }
}
