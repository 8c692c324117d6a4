// bench/TlsSink.java -- a fast STARTTLS SMTP sink (and a load client to measure it), JDK only.
//
// Used by bench/delivery.sh as the receiving MX for the STARTTLS cases: Postfix as an MX
// (smtpd + smtpd_proxy_filter to smtp-sink) costs a process per connection and is slower than
// the relays under test, so it would measure itself. This sink keeps nothing: it answers the
// SMTP dialogue, reads each message to its final dot, counts it and forgets it.
//
//   java bench/TlsSink.java server HOST:PORT CERT.pem KEY.pem [NAME]
//       CERT.pem: certificate chain (leaf first); KEY.pem: unencrypted PKCS#8 key (RSA or EC).
//       EHLO offers PIPELINING, 8BITMIME, SIZE and (before TLS) STARTTLS. Thread per connection.
//       Prints "sess=N tls=N resumed=N mesg=N err=N\r" to stdout at most every 10 ms when a
//       counter changed (the format of smtp-sink -c, so one parser reads both).
//   java bench/TlsSink.java client HOST:PORT SERVERNAME CA.pem SESSIONS MESSAGES BYTES [reuse|new] [tls|plain]
//       SESSIONS threads send MESSAGES messages of about BYTES octets in all, with STARTTLS and
//       full certificate verification (CA.pem, host name SERVERNAME), one connection per message
//       (new, default) or one per thread (reuse); prints the rate. Exit 1 on any error.
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

public final class TlsSink {

    static final AtomicLong SESSIONS = new AtomicLong();
    static final AtomicLong TLS = new AtomicLong();
    static final AtomicLong RESUMED = new AtomicLong();
    static final AtomicLong MESSAGES = new AtomicLong();
    static final AtomicLong ERRORS = new AtomicLong();

    public static void main(String[] args) throws Exception {
        if (args.length >= 4 && args[0].equals("server")) {
            server(hostPort(args[1]), args[2], args[3], args.length > 4 ? args[4] : "sink.example.test");
        } else if (args.length >= 7 && args[0].equals("client")) {
            System.exit(client(hostPort(args[1]), args[2], args[3], Integer.parseInt(args[4]), Integer.parseInt(args[5]),
                    Integer.parseInt(args[6]), args.length > 7 && args[7].equals("reuse"),
                    !(args.length > 8 && args[8].equals("plain"))));
        } else {
            System.err.println("usage: TlsSink server HOST:PORT CERT.pem KEY.pem [NAME]\n"
                    + "       TlsSink client HOST:PORT SERVERNAME CA.pem SESSIONS MESSAGES BYTES [reuse|new] [tls|plain]");
            System.exit(2);
        }
    }

    static InetSocketAddress hostPort(String s) throws IOException {
        int i = s.lastIndexOf(':');
        return new InetSocketAddress(InetAddress.getByName(s.substring(0, i)), Integer.parseInt(s.substring(i + 1)));
    }

    // ------------------------------------------------------------------ PEM

    static List<byte[]> pem(String file, String type) throws IOException {
        List<byte[]> out = new ArrayList<>();
        String text = Files.readString(Path.of(file), StandardCharsets.US_ASCII);
        String begin = "-----BEGIN " + type + "-----", end = "-----END " + type + "-----";
        int at = 0;
        while ((at = text.indexOf(begin, at)) >= 0) {
            int stop = text.indexOf(end, at);
            out.add(Base64.getMimeDecoder().decode(text.substring(at + begin.length(), stop)));
            at = stop + end.length();
        }
        if (out.isEmpty()) {
            throw new IOException(file + ": no " + type);
        }
        return out;
    }

    static Certificate[] certificates(String file) throws Exception {
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        List<Certificate> certs = new ArrayList<>();
        for (byte[] der : pem(file, "CERTIFICATE")) {
            certs.add(cf.generateCertificate(new ByteArrayInputStream(der)));
        }
        return certs.toArray(new Certificate[0]);
    }

    static SSLContext serverContext(String certFile, String keyFile) throws Exception {
        byte[] der = pem(keyFile, "PRIVATE KEY").get(0);
        PrivateKey key = null;
        for (String alg : new String[] {"RSA", "EC", "Ed25519"}) {
            try {
                key = KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
                break;
            } catch (Exception ignored) {
                // next algorithm
            }
        }
        if (key == null) {
            throw new IOException(keyFile + ": not an unencrypted PKCS#8 RSA/EC key");
        }
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("sink", key, new char[0], certificates(certFile));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, new char[0]);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        return ctx;
    }

    static SSLContext clientContext(String caFile) throws Exception {
        KeyStore ts = KeyStore.getInstance("PKCS12");
        ts.load(null, null);
        int i = 0;
        for (Certificate c : certificates(caFile)) {
            ts.setCertificateEntry("ca" + i++, c);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ts);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    // ------------------------------------------------------------------ line I/O

    /** Buffered reader of CRLF lines that flushes the replies before it blocks (pipelining). */
    static final class Lines {
        final InputStream in;
        final OutputStream out;
        final byte[] buf = new byte[32 * 1024];
        int pos;
        int lim;

        Lines(InputStream in, OutputStream out) {
            this.in = in;
            this.out = out;
        }

        boolean buffered() {
            return pos < lim;
        }

        /** The next line without its CRLF (as ISO-8859-1 text), or null at EOF. */
        String line() throws IOException {
            int n = next();
            if (n < 0) {
                return null;
            }
            int end = n > pos && buf[n - 1] == '\r' ? n - 1 : n;
            String s = new String(buf, pos, end - pos, StandardCharsets.ISO_8859_1);
            pos = n + 1;
            return s;
        }

        /** Reads message lines up to the lone dot; returns the octets read, or -1 at EOF. */
        long data() throws IOException {
            long octets = 0;
            while (true) {
                int n = next();
                if (n < 0) {
                    return -1;
                }
                int len = n - pos;
                boolean dot = (len == 2 && buf[pos] == '.' && buf[pos + 1] == '\r') || (len == 1 && buf[pos] == '.');
                octets += len + 1;
                pos = n + 1;
                if (dot) {
                    return octets;
                }
            }
        }

        /** Index of the next LF at or after pos, reading more as needed; -1 at EOF. */
        private int next() throws IOException {
            int from = pos;
            while (true) {
                for (int i = from; i < lim; i++) {
                    if (buf[i] == '\n') {
                        return i;
                    }
                }
                if (pos > 0) {
                    System.arraycopy(buf, pos, buf, 0, lim - pos);
                    lim -= pos;
                    pos = 0;
                }
                from = lim;
                if (lim == buf.length) {
                    // an overlong line: give back what we have as if it ended here
                    return lim - 1;
                }
                out.flush();
                int r = in.read(buf, lim, buf.length - lim);
                if (r < 0) {
                    return -1;
                }
                lim += r;
            }
        }
    }

    // ------------------------------------------------------------------ server

    static void server(InetSocketAddress at, String cert, String key, String name) throws Exception {
        SSLContext ctx = serverContext(cert, key);
        ServerSocket ss = new ServerSocket();
        ss.setReuseAddress(true);
        ss.bind(at, 1024);
        ExecutorService threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "sink");
            t.setDaemon(true);
            return t;
        });
        Thread status = new Thread(TlsSink::status, "status");
        status.setDaemon(true);
        status.start();
        System.err.println("TlsSink listening on " + at + " as " + name);
        while (true) {
            Socket s = ss.accept();
            threads.execute(() -> session(s, ctx, name));
        }
    }

    static void status() {
        String last = "";
        while (true) {
            String now = "sess=" + SESSIONS.get() + " tls=" + TLS.get() + " resumed=" + RESUMED.get()
                    + " mesg=" + MESSAGES.get() + " err=" + ERRORS.get() + "\r";
            if (!now.equals(last)) {
                System.out.print(now);
                System.out.flush();
                last = now;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    static void reply(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.US_ASCII));
    }

    static void session(Socket plain, SSLContext ctx, String name) {
        SESSIONS.incrementAndGet();
        Socket s = plain;
        try {
            plain.setTcpNoDelay(true);
            OutputStream out = new BufferedOutputStream(s.getOutputStream(), 16 * 1024);
            Lines in = new Lines(s.getInputStream(), out);
            boolean tls = false;
            boolean mail = false;
            int rcpts = 0;
            reply(out, "220 " + name + " ESMTP TlsSink\r\n");
            String line;
            while ((line = in.line()) != null) {
                String verb = (line.length() >= 4 ? line.substring(0, 4) : line).toUpperCase();
                switch (verb) {
                    case "EHLO" -> {
                        mail = false;
                        rcpts = 0;
                        reply(out, "250-" + name + "\r\n250-PIPELINING\r\n250-SIZE 104857600\r\n250-8BITMIME\r\n"
                                + (tls ? "" : "250-STARTTLS\r\n") + "250 ENHANCEDSTATUSCODES\r\n");
                    }
                    case "HELO" -> reply(out, "250 " + name + "\r\n");
                    case "STAR" -> {
                        if (tls) {
                            reply(out, "503 5.5.1 TLS already active\r\n");
                            continue;
                        }
                        reply(out, "220 2.0.0 Ready to start TLS\r\n");
                        out.flush();
                        if (in.buffered()) {
                            // RFC 3207 §5: nothing may follow STARTTLS in the same packet
                            throw new IOException("data pipelined after STARTTLS");
                        }
                        long start = System.currentTimeMillis();
                        SSLSocket t = (SSLSocket) ctx.getSocketFactory().createSocket(s, null, s.getPort(), true);
                        t.setUseClientMode(false);
                        t.startHandshake();
                        TLS.incrementAndGet();
                        if (t.getSession().getCreationTime() < start) {
                            RESUMED.incrementAndGet();
                        }
                        s = t;
                        out = new BufferedOutputStream(t.getOutputStream(), 16 * 1024);
                        in = new Lines(t.getInputStream(), out);
                        tls = true;
                        mail = false;
                        rcpts = 0;
                    }
                    case "MAIL" -> {
                        mail = true;
                        rcpts = 0;
                        reply(out, "250 2.1.0 Ok\r\n");
                    }
                    case "RCPT" -> {
                        if (mail) {
                            rcpts++;
                            reply(out, "250 2.1.5 Ok\r\n");
                        } else {
                            reply(out, "503 5.5.1 Error: need MAIL command\r\n");
                        }
                    }
                    case "DATA" -> {
                        if (rcpts == 0) {
                            reply(out, "554 5.5.1 Error: no valid recipients\r\n");
                            continue;
                        }
                        reply(out, "354 End data with <CR><LF>.<CR><LF>\r\n");
                        if (in.data() < 0) {
                            return;
                        }
                        long n = MESSAGES.incrementAndGet();
                        mail = false;
                        rcpts = 0;
                        reply(out, "250 2.0.0 Ok: queued as " + Long.toHexString(n) + "\r\n");
                    }
                    case "RSET" -> {
                        mail = false;
                        rcpts = 0;
                        reply(out, "250 2.0.0 Ok\r\n");
                    }
                    case "NOOP" -> reply(out, "250 2.0.0 Ok\r\n");
                    case "QUIT" -> {
                        reply(out, "221 2.0.0 Bye\r\n");
                        out.flush();
                        return;
                    }
                    default -> reply(out, "502 5.5.2 Error: command not recognized\r\n");
                }
            }
        } catch (IOException e) {
            ERRORS.incrementAndGet();
        } finally {
            try {
                s.close();
            } catch (IOException ignored) {
                // gone anyway
            }
        }
    }

    // ------------------------------------------------------------------ client

    static int client(InetSocketAddress at, String serverName, String ca, int sessions, int messages, int bytes,
            boolean reuse, boolean useTls) throws Exception {
        SSLContext ctx = useTls ? clientContext(ca) : null;
        byte[] message = message(bytes);
        AtomicInteger left = new AtomicInteger(messages);
        AtomicInteger sent = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int i = 0; i < sessions; i++) {
            Thread t = new Thread(() -> {
                Conn c = null;
                try {
                    while (left.getAndDecrement() > 0) {
                        if (c == null) {
                            c = Conn.open(at, serverName, ctx);
                        }
                        c.send(message);
                        sent.incrementAndGet();
                        if (!reuse) {
                            c.quit();
                            c = null;
                        }
                    }
                    if (c != null) {
                        c.quit();
                    }
                } catch (Exception e) {
                    if (failed.getAndIncrement() == 0) {
                        System.err.println("client error: " + e);
                    }
                }
            });
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            t.join();
        }
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf("client: %d of %d messages in %.3f s = %.0f msg/s (%d sessions, %s, %s)%n", sent.get(), messages,
                s, sent.get() / s, sessions, reuse ? "connection reuse" : "new connection per message",
                useTls ? "verified STARTTLS" : "plain");
        return failed.get() == 0 && sent.get() == messages ? 0 : 1;
    }

    static byte[] message(int bytes) {
        StringBuilder b = new StringBuilder("From: <sender@client.test>\r\nTo: <rcpt@example.test>\r\nSubject: TlsSink load\r\n\r\n");
        String line = "0123456789".repeat(7) + "abcdefgh\r\n";
        while (b.length() + line.length() <= bytes) {
            b.append(line);
        }
        return b.append(".\r\n").toString().getBytes(StandardCharsets.US_ASCII);
    }

    static final class Conn {
        Socket s;
        OutputStream out;
        Lines in;

        static Conn open(InetSocketAddress at, String serverName, SSLContext ctx) throws Exception {
            Conn c = new Conn();
            Socket plain = new Socket();
            plain.setTcpNoDelay(true);
            plain.connect(at, 5000);
            plain.setSoTimeout(60000);
            c.attach(plain);
            c.expect(220);
            c.cmd("EHLO client.test", 250);
            if (ctx != null) {
                c.cmd("STARTTLS", 220);
                SSLSocket t = (SSLSocket) ctx.getSocketFactory().createSocket(plain, serverName, at.getPort(), true);
                SSLParameters p = t.getSSLParameters();
                p.setEndpointIdentificationAlgorithm("HTTPS");
                p.setServerNames(List.of(new SNIHostName(serverName)));
                t.setSSLParameters(p);
                t.startHandshake();
                c.attach(t);
                c.cmd("EHLO client.test", 250);
            }
            return c;
        }

        void attach(Socket sock) throws IOException {
            s = sock;
            out = new BufferedOutputStream(sock.getOutputStream(), 16 * 1024);
            in = new Lines(sock.getInputStream(), out);
        }

        void send(byte[] message) throws IOException {
            reply(out, "MAIL FROM:<sender@client.test>\r\nRCPT TO:<rcpt@example.test>\r\nDATA\r\n");
            expect(250);
            expect(250);
            expect(354);
            out.write(message);
            expect(250);
        }

        void quit() throws IOException {
            cmd("QUIT", 221);
            s.close();
        }

        void cmd(String line, int code) throws IOException {
            reply(out, line + "\r\n");
            expect(code);
        }

        /** Reads one (multi-line) reply, flushing what we wrote first. */
        void expect(int code) throws IOException {
            String l;
            do {
                l = in.line();
                if (l == null) {
                    throw new IOException("connection closed, expected " + code);
                }
            } while (l.length() > 3 && l.charAt(3) == '-');
            if (!l.startsWith(Integer.toString(code))) {
                throw new IOException("expected " + code + ", got: " + l);
            }
        }
    }
}
