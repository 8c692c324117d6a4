package relay.core.testing;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import org.subethamail.smtp.MessageContext;
import org.subethamail.smtp.MessageHandler;
import org.subethamail.smtp.RejectException;
import org.subethamail.smtp.auth.EasyAuthenticationHandlerFactory;
import org.subethamail.smtp.auth.LoginFailedException;
import org.subethamail.smtp.server.SMTPServer;
import org.subethamail.smtp.server.Session;
import org.subethamail.smtp.server.SessionHandler;

/**
 * A receiving MX for outbound tests: SubEtha SMTP's own server on one loopback address, with
 * STARTTLS and AUTH when asked, which records every message it accepts (envelope, the body after
 * dot-unstuffing, whether TLS was on, who authenticated) and counts connections and MAIL commands.
 * Replies can be scripted: reject a recipient or the message with any code, once or always.
 */
public final class TestMx implements AutoCloseable {

    /** One accepted message. {@code data} is exactly what came between DATA and the final dot, unstuffed. */
    public record Received(String sender, List<String> recipients, byte[] data, boolean tls, Optional<String> user) {

        public Received {
            recipients = List.copyOf(recipients);
        }

        public String text() {
            return new String(data, StandardCharsets.UTF_8);
        }
    }

    /** A scripted refusal, good for {@code remaining} more uses. */
    private record Reject(int code, String text, AtomicInteger remaining) {

        /** This refusal, if it has a use left (and uses it up). */
        Optional<Reject> use() {
            return remaining.getAndUpdate(n -> Math.max(0, n - 1)) > 0 ? Optional.of(this) : Optional.empty();
        }
    }

    private final SMTPServer server;
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger mailCommands = new AtomicInteger();
    private final Map<String, Reject> recipientRejects = new ConcurrentHashMap<>();
    private volatile Reject dataReject = new Reject(0, "", new AtomicInteger());

    private TestMx(Builder b) {
        SMTPServer.Builder s = SMTPServer.port(b.port).bindAddress(b.address).hostName(b.hostName)
                .softwareName("test-mx").insertReceivedHeaders(false).maxMessageSize(10 * 1024 * 1024)
                .connectionTimeout(30, java.util.concurrent.TimeUnit.SECONDS)
                .sessionHandler(new Counting())
                .messageHandlerFactory(Handler::new);
        if (b.tls != null) {
            s.enableTLS().startTlsSocketFactory(b.tls);
            if (b.requireTls) {
                s.requireTLS();
            }
        }
        if (b.users != null) {
            Map<String, String> users = Map.copyOf(b.users);
            s.authenticationHandlerFactory(new EasyAuthenticationHandlerFactory((user, password, ctx) -> {
                if (!password.equals(users.get(user))) {
                    throw new LoginFailedException("bad password for " + user);
                }
            }));
        }
        this.server = s.build();
    }

    /** An MX listening on {@code address:port} once {@link Builder#start()} is called. */
    public static Builder on(InetAddress address, int port) {
        return new Builder(address, port);
    }

    /** Settings of a {@link TestMx}; plaintext only unless {@link #tls} is called. */
    public static final class Builder {
        private final InetAddress address;
        private final int port;
        private String hostName = "mx.example.test";
        private SSLContext tls;
        private boolean requireTls;
        private Map<String, String> users;

        private Builder(InetAddress address, int port) {
            this.address = address;
            this.port = port;
        }

        public Builder hostName(String name) {
            this.hostName = name;
            return this;
        }

        /** Offers STARTTLS with this server context. */
        public Builder tls(SSLContext context) {
            this.tls = context;
            return this;
        }

        /** Refuses MAIL before STARTTLS (530). */
        public Builder requireTls() {
            this.requireTls = true;
            return this;
        }

        /** Offers AUTH PLAIN/LOGIN for these users and passwords. */
        public Builder users(Map<String, String> usersAndPasswords) {
            this.users = usersAndPasswords;
            return this;
        }

        public TestMx start() {
            TestMx mx = new TestMx(this);
            mx.server.start();
            return mx;
        }
    }

    /** Answers RCPT for {@code address} with {@code code text}, the next {@code times} times. */
    public void rejectRecipient(String address, int code, String text, int times) {
        recipientRejects.put(address.toLowerCase(Locale.ROOT), new Reject(code, text, new AtomicInteger(times)));
    }

    /** Answers the final dot with {@code code text}, the next {@code times} times (the message is not kept). */
    public void rejectData(int code, String text, int times) {
        dataReject = new Reject(code, text, new AtomicInteger(times));
    }

    /** The messages accepted so far, in order. */
    public List<Received> received() {
        return List.copyOf(received);
    }

    /** TCP connections accepted so far. */
    public int connections() {
        return connections.get();
    }

    /** MAIL commands that reached the server (accepted or not). */
    public int mailCommands() {
        return mailCommands.get();
    }

    public int port() {
        return server.getPortAllocated() > 0 ? server.getPortAllocated() : server.getPort();
    }

    @Override
    public void close() {
        server.stop();
    }

    private final class Counting implements SessionHandler {
        @Override
        public SessionAcceptance accept(Session session) {
            connections.incrementAndGet();
            return SessionAcceptance.success();
        }

        @Override
        public void onSessionEnd(Session session) {
            // nothing to record
        }
    }

    /** One transaction: SubEtha creates a handler at each MAIL command. */
    private final class Handler implements MessageHandler {
        private final MessageContext context;
        private String sender;
        private final List<String> recipients = new ArrayList<>();

        Handler(MessageContext context) {
            this.context = context;
        }

        @Override
        public void from(String from) {
            mailCommands.incrementAndGet();
            this.sender = from;
        }

        @Override
        public void recipient(String recipient) throws RejectException {
            Optional<Reject> r = Optional.ofNullable(recipientRejects.get(recipient.toLowerCase(Locale.ROOT))).flatMap(Reject::use);
            if (r.isPresent()) {
                throw new RejectException(r.get().code(), r.get().text());
            }
            recipients.add(recipient);
        }

        @Override
        public String data(InputStream data) throws RejectException, IOException {
            byte[] bytes = data.readAllBytes();
            Optional<Reject> r = dataReject.use();
            if (r.isPresent()) {
                throw new RejectException(r.get().code(), r.get().text());
            }
            boolean tls = context instanceof Session s && s.isTLSStarted();
            Optional<String> user = context.getAuthenticationHandler().map(h -> String.valueOf(h.getIdentity()));
            received.add(new Received(sender, recipients, bytes, tls, user));
            return null;
        }

        @Override
        public void done() {
            // nothing to release
        }
    }
}
