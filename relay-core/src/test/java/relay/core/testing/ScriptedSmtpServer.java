package relay.core.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * A raw-socket SMTP server that says exactly what a test scripts, for the behaviour SubEtha
 * cannot show: a chosen EHLO extension list (no SMTPUTF8, PIPELINING), a STARTTLS answer with
 * bytes after the 220 (response injection), and the client's every line, before and after TLS.
 * Replies are sent raw, so a script can send several replies in one write.
 */
public final class ScriptedSmtpServer implements AutoCloseable {

    /** One connection: what the client sent, line by line ({@code "[tls] "} marks lines inside TLS). */
    public static final class Conversation {
        private final List<String> lines = new CopyOnWriteArrayList<>();
        private final List<byte[]> messages = new CopyOnWriteArrayList<>();
        private volatile Optional<String> sni = Optional.empty();
        private volatile boolean closed;

        public List<String> lines() {
            return List.copyOf(lines);
        }

        /** The messages sent after DATA, unstuffed, with their final CRLF. */
        public List<byte[]> messages() {
            return List.copyOf(messages);
        }

        /** The server name the client asked for in its TLS ClientHello (RFC 6066 SNI). */
        public Optional<String> sni() {
            return sni;
        }

        /** Whether the connection has ended (the client closed it or said QUIT). */
        public boolean closed() {
            return closed;
        }
    }

    private final ServerSocket socket;
    private final String hostName;
    private final String greeting;
    private final List<String> extensions;
    private final List<String> extensionsInsideTls;
    private final String startTlsReply;
    private final SSLContext tls;
    private final Map<String, String> replies;
    private final int hangUpInData;
    private final boolean stallInData;
    private final boolean silentOnQuit;
    private final List<Conversation> conversations = new CopyOnWriteArrayList<>();
    private volatile boolean running = true;

    private ScriptedSmtpServer(Builder b) throws IOException {
        this.hostName = b.hostName;
        this.greeting = b.greeting == null ? "220 " + b.hostName + " ESMTP scripted\r\n" : b.greeting;
        this.extensions = List.copyOf(b.extensions);
        this.extensionsInsideTls = List.copyOf(b.extensionsInsideTls == null ? b.extensions : b.extensionsInsideTls);
        this.startTlsReply = b.startTlsReply;
        this.tls = b.tls;
        this.replies = Map.copyOf(b.replies);
        this.hangUpInData = b.hangUpInData;
        this.stallInData = b.stallInData;
        this.silentOnQuit = b.silentOnQuit;
        this.socket = new ServerSocket();
        socket.setReuseAddress(true);
        socket.bind(new InetSocketAddress(b.address, b.port), 50);
        Thread t = new Thread(this::acceptLoop, "scripted-smtp-" + b.address.getHostAddress());
        t.setDaemon(true);
        t.start();
    }

    public static Builder on(InetAddress address, int port) {
        return new Builder(address, port);
    }

    /** What the server says. By default: a plain ESMTP server offering PIPELINING and 8BITMIME. */
    public static final class Builder {
        private final InetAddress address;
        private final int port;
        private String hostName = "scripted.example.test";
        private String greeting;
        private List<String> extensions = List.of("PIPELINING", "8BITMIME");
        private List<String> extensionsInsideTls;
        private String startTlsReply = "220 2.0.0 Ready to start TLS\r\n";
        private SSLContext tls;
        private final Map<String, String> replies = new LinkedHashMap<>();
        private int hangUpInData = -1;
        private boolean stallInData;
        private boolean silentOnQuit;

        private Builder(InetAddress address, int port) {
            this.address = address;
            this.port = port;
        }

        public Builder hostName(String name) {
            this.hostName = name;
            return this;
        }

        /** The raw greeting (default {@code 220 <host name> ESMTP scripted}). */
        public Builder greeting(String raw) {
            this.greeting = raw;
            return this;
        }

        /**
         * The EHLO keywords announced, in order (add "STARTTLS" to offer it). Inside TLS the same
         * list is announced, STARTTLS included, as some servers do, unless {@link #extensionsInsideTls} says otherwise.
         */
        public Builder extensions(String... keywords) {
            this.extensions = List.of(keywords);
            return this;
        }

        /** The EHLO keywords announced after the TLS handshake. */
        public Builder extensionsInsideTls(String... keywords) {
            this.extensionsInsideTls = List.of(keywords);
            return this;
        }

        /**
         * The raw bytes answering STARTTLS. When a server context is set and they start with
         * 220, the server starts the TLS handshake right after sending them.
         */
        public Builder startTlsReply(String raw) {
            this.startTlsReply = raw;
            return this;
        }

        public Builder tls(SSLContext context) {
            this.tls = context;
            return this;
        }

        /** Answers any command line starting with {@code prefix} (case-insensitive) with these raw bytes. */
        public Builder reply(String prefix, String raw) {
            replies.put(prefix.toUpperCase(Locale.ROOT), raw);
            return this;
        }

        /** After its 354, reads {@code octets} of the content and drops the connection (a crash, a reset). */
        public Builder hangUpInData(int octets) {
            this.hangUpInData = octets;
            return this;
        }

        /** After its 354, reads nothing more and says nothing (a server stuck mid-transfer) for 15 s or until closed. */
        public Builder stallInData() {
            this.stallInData = true;
            return this;
        }

        /** Never answers QUIT: the conversation ends only when the client closes the connection. */
        public Builder silentOnQuit() {
            this.silentOnQuit = true;
            return this;
        }

        public ScriptedSmtpServer start() throws IOException {
            return new ScriptedSmtpServer(this);
        }
    }

    /** Every connection so far, in the order they came. */
    public List<Conversation> conversations() {
        return List.copyOf(conversations);
    }

    @Override
    public void close() {
        running = false;
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing
        }
    }

    private void acceptLoop() {
        while (running) {
            try {
                Socket s = socket.accept();
                Conversation c = new Conversation();
                conversations.add(c);
                Thread t = new Thread(() -> converse(s, c), "scripted-smtp-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void converse(Socket plain, Conversation c) {
        Socket s = plain;
        try {
            s.setSoTimeout(15_000);
            InputStream in = new BufferedInputStream(s.getInputStream());
            OutputStream out = s.getOutputStream();
            Transaction t = new Transaction();
            String prefix = "";
            send(out, greeting);
            String line;
            while ((line = readLine(in)) != null) {
                c.lines.add(prefix + line);
                String upper = line.toUpperCase(Locale.ROOT);
                if (upper.equals("STARTTLS") && prefix.isEmpty() && extensions.contains("STARTTLS")) {
                    send(out, startTlsReply);
                    if (tls == null || !startTlsReply.startsWith("220")) {
                        continue;
                    }
                    SSLSocket ssl = (SSLSocket) tls.getSocketFactory().createSocket(s, null, true);
                    ssl.setUseClientMode(false);
                    ssl.startHandshake();
                    c.sni = ((ExtendedSSLSession) ssl.getSession()).getRequestedServerNames().stream()
                            .filter(n -> n instanceof SNIHostName).map(n -> ((SNIHostName) n).getAsciiName()).findFirst();
                    s = ssl;
                    in = new BufferedInputStream(ssl.getInputStream());
                    out = ssl.getOutputStream();
                    prefix = "[tls] ";
                    t = new Transaction();
                } else if (upper.equals("DATA") && t.recipients > 0) {
                    send(out, "354 End data with <CR><LF>.<CR><LF>\r\n");
                    if (hangUpInData >= 0) {
                        in.readNBytes(hangUpInData);
                        s.setSoLinger(true, 0);  // unread content left behind: the client sees a reset
                        break;
                    }
                    if (stallInData) {
                        for (int waited = 0; running && waited < 15_000; waited += 50) {
                            sleep(50);
                        }
                        break;
                    }
                    byte[] message = readData(in);
                    if (message == null) {
                        break;
                    }
                    c.messages.add(message);
                    t = new Transaction();
                    send(out, scripted(upper).orElse("250 2.0.0 Ok: queued\r\n"));
                } else if (upper.equals("QUIT")) {
                    if (silentOnQuit) {
                        continue;
                    }
                    send(out, "221 2.0.0 Bye\r\n");
                    break;
                } else {
                    send(out, answer(upper, !prefix.isEmpty(), t));
                }
            }
        } catch (IOException e) {
            // the client went away or the handshake failed: the transcript says how far it got
        } finally {
            c.closed = true;
            try {
                s.close();
            } catch (IOException ignored) {
                // closing
            }
        }
    }

    /** Where the envelope stands, so that RCPT and DATA are refused in the wrong order, as real servers do. */
    private static final class Transaction {
        private boolean mail;
        private int recipients;
    }

    /** The reply to a command other than STARTTLS, DATA with recipients, and QUIT. */
    private String answer(String upper, boolean insideTls, Transaction t) {
        if (upper.startsWith("RCPT") && !t.mail) {
            return "503 5.5.1 need MAIL first\r\n";
        }
        if (upper.equals("DATA")) {
            return "554 5.5.1 no valid recipients\r\n";
        }
        Optional<String> scripted = scripted(upper);
        String reply;
        if (scripted.isPresent()) {
            reply = scripted.get();
        } else if (upper.startsWith("EHLO")) {
            reply = ehlo(!insideTls);
        } else if (upper.startsWith("HELO")) {
            reply = "250 " + hostName + "\r\n";
        } else if (upper.equals("STARTTLS")) {
            reply = insideTls ? "554 5.5.1 TLS already active\r\n" : "502 5.5.1 STARTTLS not offered\r\n";
        } else if (upper.startsWith("MAIL") || upper.startsWith("RCPT") || upper.startsWith("RSET") || upper.startsWith("NOOP")) {
            reply = "250 2.0.0 Ok\r\n";
        } else {
            reply = "502 5.5.2 Command not recognized\r\n";
        }
        boolean positive = reply.startsWith("2");
        if (upper.startsWith("MAIL") && positive) {
            t.mail = true;
            t.recipients = 0;
        } else if (upper.startsWith("RCPT") && positive) {
            t.recipients++;
        } else if (upper.startsWith("RSET") || upper.startsWith("EHLO") || upper.startsWith("HELO")) {
            t.mail = false;
            t.recipients = 0;
        }
        return reply;
    }

    private Optional<String> scripted(String upperLine) {
        return replies.entrySet().stream().filter(e -> upperLine.startsWith(e.getKey())).map(Map.Entry::getValue).findFirst();
    }

    private String ehlo(boolean plaintext) {
        List<String> lines = new ArrayList<>();
        lines.add(hostName);
        lines.addAll(plaintext ? extensions : extensionsInsideTls);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < lines.size(); i++) {
            sb.append("250").append(i == lines.size() - 1 ? ' ' : '-').append(lines.get(i)).append("\r\n");
        }
        return sb.toString();
    }

    private static void sleep(long ms) throws IOException {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
    }

    private static void send(OutputStream out, String raw) throws IOException {
        out.write(raw.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** One line without its CRLF (UTF-8), or null at the end of the stream. */
    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            if (b == '\n') {
                byte[] bytes = line.toByteArray();
                int n = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, n, StandardCharsets.UTF_8);
            }
            line.write(b);
        }
        return null;
    }

    /** Lines up to the lone dot, unstuffed (RFC 5321 §4.5.2), each with its CRLF; null if the client left before the dot. */
    private static byte[] readData(InputStream in) throws IOException {
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        String line;
        while ((line = readLine(in)) != null) {
            if (line.equals(".")) {
                return data.toByteArray();
            }
            data.writeBytes((line.startsWith(".") ? line.substring(1) : line).getBytes(StandardCharsets.UTF_8));
            data.writeBytes(new byte[] {'\r', '\n'});
        }
        return null;
    }
}
