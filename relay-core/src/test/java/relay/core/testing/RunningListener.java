package relay.core.testing;

import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Random;
import relay.core.smtp.ListenerEvents;
import relay.core.smtp.ListenerSettings;
import relay.core.smtp.SmtpListener;

/**
 * An {@link SmtpListener} started on an ephemeral loopback port with a {@link RecordingSpool}, a
 * fixed clock and a seeded random source, so that trace fields and queue ids are predictable.
 */
public final class RunningListener implements AutoCloseable {

    /** The instant every test message arrives at: Tue, 3 Jun 2025 10:15:30 UTC. */
    public static final Instant NOW = Instant.parse("2025-06-03T10:15:30Z");
    /** {@link #NOW} as the listener writes it in Date and Received fields (RFC 5322 §3.3). */
    public static final String NOW_RFC5322 = "Tue, 3 Jun 2025 10:15:30 +0000";

    private final SmtpListener listener;
    private final RecordingSpool spool = new RecordingSpool();

    private RunningListener(ListenerSettings settings, ListenerEvents events) {
        this.listener = new SmtpListener(settings, spool, Clock.fixed(NOW, ZoneOffset.UTC), new Random(42), events);
        listener.start();
    }

    public static RunningListener start(ListenerSettings settings) {
        return new RunningListener(settings, ListenerEvents.none());
    }

    /** A listener that tells {@code events} what it accepts and refuses. */
    public static RunningListener start(ListenerSettingsBuilder settings, ListenerEvents events) {
        return new RunningListener(settings.build(), events);
    }

    public static RunningListener start(ListenerSettingsBuilder settings) {
        return start(settings.build());
    }

    public RecordingSpool spool() {
        return spool;
    }

    public int port() {
        return listener.port();
    }

    /** A new connection; the greeting is left unread. */
    public SmtpTestClient connect() throws IOException {
        return SmtpTestClient.connect(port());
    }

    /** A new connection past its greeting and {@code EHLO client.example.test}. */
    public SmtpTestClient connectAndGreet() throws IOException {
        SmtpTestClient client = connect();
        String greeting = client.reply();
        if (!greeting.startsWith("220 ")) {
            client.close();
            throw new AssertionError("unexpected greeting: " + greeting);
        }
        String ehlo = client.ehlo("client.example.test");
        if (!ehlo.startsWith("250")) {
            client.close();
            throw new AssertionError("unexpected EHLO reply: " + ehlo);
        }
        return client;
    }

    @Override
    public void close() {
        listener.close();
    }
}
