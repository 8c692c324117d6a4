package relay.app;

import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** A plain line-based SMTP client for tests: sends lines, reads (multi-line) replies. */
final class SmtpClient implements Closeable {

    private final Socket socket;
    private final BufferedReader in;
    private final OutputStream out;

    SmtpClient(String host, int port) throws IOException {
        socket = new Socket();
        socket.connect(new InetSocketAddress(host, port), 5000);
        socket.setSoTimeout(30_000);
        in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
        out = socket.getOutputStream();
    }

    /** Reads one reply; returns its last line (code and text). */
    String reply() throws IOException {
        String line;
        do {
            line = in.readLine();
            if (line == null) {
                throw new IOException("connection closed");
            }
        } while (line.length() > 3 && line.charAt(3) == '-');
        return line;
    }

    String send(String line) throws IOException {
        write(line + "\r\n");
        return reply();
    }

    void write(String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** One whole transaction; returns the reply to the final dot. */
    String mail(String from, String to, String body) throws IOException {
        expect(send("MAIL FROM:<" + from + ">"), "250");
        expect(send("RCPT TO:<" + to + ">"), "250");
        expect(send("DATA"), "354");
        write(body.replace("\n.", "\n..") + "\r\n.\r\n");
        return reply();
    }

    static void expect(String reply, String code) throws IOException {
        if (!reply.startsWith(code)) {
            throw new IOException("expected " + code + " but got: " + reply);
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
