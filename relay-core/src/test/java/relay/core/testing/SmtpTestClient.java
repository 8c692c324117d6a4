package relay.core.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;

/**
 * A line-based SMTP client over a plain {@link Socket}, for tests that must see the exact bytes:
 * it sends what it is told (pipelined or not, valid or not) and returns replies as text, a
 * multi-line reply joined with {@code \n}. Reads time out after five seconds so a test never hangs.
 */
public final class SmtpTestClient implements AutoCloseable {

    private static final int READ_TIMEOUT_MILLIS = 5_000;

    private Socket socket;
    private InputStream in;
    private OutputStream out;

    private SmtpTestClient(Socket socket) throws IOException {
        use(socket);
    }

    /** Connects to {@code 127.0.0.1:port}; the greeting is left unread. */
    public static SmtpTestClient connect(int port) throws IOException {
        return new SmtpTestClient(new Socket(InetAddress.getLoopbackAddress(), port));
    }

    private void use(Socket s) throws IOException {
        this.socket = s;
        s.setSoTimeout(READ_TIMEOUT_MILLIS);
        this.in = new BufferedInputStream(s.getInputStream());
        this.out = s.getOutputStream();
    }

    /** Sends one command line (CRLF appended) and returns the reply. */
    public String command(String line) throws IOException {
        send(line);
        return reply();
    }

    /** Sends one line with CRLF appended, UTF-8 encoded. */
    public void send(String line) throws IOException {
        write(line + "\r\n");
    }

    /** Writes text exactly as given (UTF-8), in one write: use it to pipeline commands. */
    public void write(String raw) throws IOException {
        write(raw.getBytes(StandardCharsets.UTF_8));
    }

    public void write(byte[] raw) throws IOException {
        out.write(raw);
        out.flush();
    }

    /** Reads one complete reply: lines up to the one whose code is followed by a space. */
    public String reply() throws IOException {
        List<String> lines = new ArrayList<>();
        while (true) {
            String line = readLine();
            if (line == null) {
                throw new EOFException("connection closed by the server; reply so far: " + lines);
            }
            lines.add(line);
            if (line.length() < 4 || line.charAt(3) != '-') {
                return String.join("\n", lines);
            }
        }
    }

    /** Reads {@code n} replies, as a client does after pipelining {@code n} commands. */
    public List<String> replies(int n) throws IOException {
        List<String> replies = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            replies.add(reply());
        }
        return replies;
    }

    /** Says EHLO and returns the reply. */
    public String ehlo(String name) throws IOException {
        return command("EHLO " + name);
    }

    /**
     * Runs a whole transaction and returns the reply to the final dot. {@code message} uses CRLF
     * line ends; lines starting with a dot are stuffed here (RFC 5321 §4.5.2).
     */
    public String sendMail(String from, List<String> to, String message) throws IOException {
        expect(command("MAIL FROM:<" + from + ">"), "250 ");
        for (String rcpt : to) {
            expect(command("RCPT TO:<" + rcpt + ">"), "250 ");
        }
        expect(command("DATA"), "354 ");
        return data(message);
    }

    /** Sends a message body after 354, dot-stuffed and terminated, and returns the reply. */
    public String data(String message) throws IOException {
        write(dotStuff(message) + ".\r\n");
        return reply();
    }

    /** RFC 5321 §4.5.2 transparency; the message must end with CRLF. */
    public static String dotStuff(String message) {
        if (!message.isEmpty() && !message.endsWith("\r\n")) {
            throw new IllegalArgumentException("message must end with CRLF");
        }
        return (message.startsWith(".") ? "." : "") + message.replace("\r\n.", "\r\n..");
    }

    /**
     * Upgrades to TLS after the server said 220 to STARTTLS: handshake with SNI and host name
     * verification against {@code serverName}. Fails if the server sent anything after its 220
     * (RFC 3207 §4.2: nothing may be buffered across the upgrade).
     */
    public SSLSession startTls(SSLContext context, String serverName) throws IOException {
        if (in.available() > 0) {
            throw new IOException("server sent data after its 220 to STARTTLS");
        }
        SSLSocket tls = (SSLSocket) context.getSocketFactory()
                .createSocket(socket, serverName, socket.getPort(), true);
        SSLParameters params = tls.getSSLParameters();
        params.setServerNames(List.of(new SNIHostName(serverName)));
        params.setEndpointIdentificationAlgorithm("HTTPS");
        tls.setSSLParameters(params);
        tls.setUseClientMode(true);
        tls.startHandshake();
        use(tls);
        return tls.getSession();
    }

    /**
     * Reads until the server closes the connection and returns what came before; fails after the
     * read timeout if the server keeps the connection open.
     */
    public String readUntilClosed() throws IOException {
        ByteArrayOutputStream rest = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        try {
            int n;
            while ((n = in.read(buf)) >= 0) {
                rest.write(buf, 0, n);
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("server did not close the connection; it sent: " + rest.toString(StandardCharsets.UTF_8), e);
        } catch (IOException e) {
            // a reset after the server's close counts as closed
        }
        return rest.toString(StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    /** One CRLF-terminated line without its CRLF, or null at end of stream. */
    private String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(128);
        int prev = -1;
        int b;
        while ((b = in.read()) >= 0) {
            if (b == '\n' && prev == '\r') {
                byte[] bytes = line.toByteArray();
                return new String(bytes, 0, bytes.length - 1, StandardCharsets.UTF_8);
            }
            line.write(b);
            prev = b;
        }
        return line.size() == 0 ? null : line.toString(StandardCharsets.UTF_8);
    }

    private static void expect(String reply, String prefix) {
        if (!reply.startsWith(prefix)) {
            throw new AssertionError("expected a reply starting with '" + prefix + "' but got: " + reply);
        }
    }
}
