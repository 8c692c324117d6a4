package relay.core.smtp;

import java.io.IOException;
import java.time.Clock;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.random.RandomGenerator;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import org.subethamail.smtp.auth.EasyAuthenticationHandlerFactory;
import org.subethamail.smtp.auth.LoginFailedException;
import org.subethamail.smtp.internal.server.CommandHandler;
import org.subethamail.smtp.server.SMTPServer;
import relay.core.spool.Spool;

/**
 * The submission listener: SubEtha SMTP's connection handling with the relay's own MAIL, RCPT,
 * DATA, EHLO and STARTTLS, so that sizes are enforced on what arrives, every reply carries an
 * enhanced status code, and nothing is acknowledged before the spool has it on disk.
 */
public final class SmtpListener implements AutoCloseable {

    private static final String[] TLS_PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    private final SMTPServer server;
    private final ExecutorService sessions;

    public SmtpListener(ListenerSettings settings, Spool spool, Clock clock, RandomGenerator random) {
        this(settings, spool, clock, random, ListenerEvents.none());
    }

    /** @param events told of every accepted message and every refusal (metrics) */
    public SmtpListener(ListenerSettings settings, Spool spool, Clock clock, RandomGenerator random,
            ListenerEvents events) {
        AtomicInteger n = new AtomicInteger();
        this.sessions = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "smtp-session-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        SessionRegistry registry = new SessionRegistry(settings.maxConnectionsPerClient(), events);
        SMTPServer.Builder builder = SMTPServer.port(settings.port())
                .bindAddress(settings.bindAddress())
                .hostName(settings.hostName())
                .softwareName("relay")
                .maxMessageSize(settings.maxMessageSize())
                .maxRecipients(settings.maxRecipients())
                .maxConnections(settings.maxConnections())
                .connectionTimeout(Math.toIntExact(settings.commandTimeout().toMillis()), TimeUnit.MILLISECONDS)
                .insertReceivedHeaders(false)
                .executorService(sessions)
                .sessionHandler(registry)
                .messageHandlerFactory(ctx -> new Transaction());
        settings.tls().ifPresent(ctx -> builder.enableTLS().startTlsSocketFactory(socket -> serverSocket(ctx, socket)));
        settings.users().ifPresent(users -> builder.authenticationHandlerFactory(
                new EasyAuthenticationHandlerFactory((user, password, context) -> {
                    if (!users.verify(user, password)) {
                        throw new LoginFailedException("535 5.7.8 Authentication credentials invalid");
                    }
                })));
        this.server = builder.build();

        CommandHandler commands = server.getCommandHandler();
        commands.addCommand(HelloVerbs.ehlo(settings, registry));
        commands.addCommand(HelloVerbs.helo(registry));
        commands.addCommand(EnvelopeVerbs.mail(settings, spool, events));
        commands.addCommand(EnvelopeVerbs.rcpt(settings, events));
        commands.addCommand(new DataVerb(settings, registry, spool, clock, random, events));
        commands.addCommand(TlsVerbs.startTls(settings.tls().isPresent()));
        commands.addCommand(new AuthVerb(settings.allowPlaintextAuth()));
        commands.addCommand(Verbs.rset());
        commands.addCommand(Verbs.noop());
        commands.addCommand(Verbs.quit());
        commands.addCommand(Verbs.refused("VRFY", "252 2.5.2 Cannot VRFY user; send some mail and we will try"));
        commands.addCommand(Verbs.refused("EXPN", "502 5.5.1 EXPN not available"));
        commands.addCommand(Verbs.refused("BDAT", "502 5.5.1 BDAT not available; use DATA"));
    }

    /** STARTTLS server side: TLS 1.2 or newer only. */
    private static SSLSocket serverSocket(SSLContext ctx, java.net.Socket socket) throws IOException {
        SSLSocketFactory factory = ctx.getSocketFactory();
        SSLSocket tls = (SSLSocket) factory.createSocket(socket, socket.getInetAddress().getHostAddress(), socket.getPort(), true);
        tls.setUseClientMode(false);
        tls.setEnabledProtocols(TLS_PROTOCOLS);
        return tls;
    }

    public void start() {
        server.start();
    }

    /** The port actually bound (useful when the configured port is 0). */
    public int port() {
        return server.getPortAllocated();
    }

    public boolean isRunning() {
        return server.isRunning();
    }

    /** Stops accepting connections and closes the open sessions. */
    @Override
    public void close() {
        if (server.isRunning()) {
            server.stop();
        }
        sessions.shutdownNow();
    }
}
