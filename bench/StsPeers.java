// bench/StsPeers.java -- the network peers of the MTA-STS benchmark (bench/sts.sh), counting
// every question they are asked: an authoritative DNS server and the HTTPS policy host.
//
//   java -cp relay-app/target/relay.jar bench/StsPeers.java DNS_HOST:PORT HTTPS_HOST:PORT \
//        CERT.pem KEY.pem COUNTS_FILE TTL ZONE_FILE POLICY_FILE [no-negative-soa]
//
//   DNS   UDP and TCP on DNS_HOST:PORT, authoritative for the zone in ZONE_FILE (master-file
//         syntax, origin "test."; a SOA with minimum TTL and an NS are added, so negative
//         answers carry the SOA and can be cached for TTL seconds, as from a real server;
//         with no-negative-soa they do not, like dnsmasq's answers for --local names, and a
//         resolver cannot cache them, RFC 2308 §5).
//         dnsjava (org.xbill.DNS) comes from the relay's jar on the class path.
//   HTTPS HTTPS_HOST:PORT (JDK HttpsServer), certificate CERT.pem (chain, leaf first) and its
//         PKCS#8 key KEY.pem; GET /.well-known/mta-sts.txt answers POLICY_FILE as text/plain,
//         anything else 404.
//   COUNTS_FILE is rewritten (atomically) every 20 ms when a counter changed:
//         dns NAME TYPE N        one line per question name and type
//         https HOST PATH N      one line per Host header and path
//         https-tls-sessions N   distinct TLS sessions the requests came in on
//   JDK only besides dnsjava; runs until killed.
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Master;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SetResponse;
import org.xbill.DNS.Type;
import org.xbill.DNS.Zone;

public final class StsPeers {

    static final Map<String, AtomicLong> COUNTS = new ConcurrentHashMap<>();
    static final AtomicLong CHANGES = new AtomicLong();
    static Zone zone;
    static Name origin;
    static boolean negativeSoa;

    public static void main(String[] args) throws Exception {
        if (args.length < 8 || args.length > 9 || (args.length == 9 && !args[8].equals("no-negative-soa"))) {
            System.err.println("usage: StsPeers DNS_HOST:PORT HTTPS_HOST:PORT CERT.pem KEY.pem COUNTS_FILE TTL ZONE_FILE POLICY_FILE [no-negative-soa]");
            System.exit(2);
        }
        InetSocketAddress dnsAt = hostPort(args[0]);
        InetSocketAddress httpsAt = hostPort(args[1]);
        Path countsFile = Path.of(args[4]);
        long ttl = Long.parseLong(args[5]);
        origin = Name.fromString("test.");
        zone = zone(Files.readString(Path.of(args[6])), ttl);
        byte[] policy = Files.readAllBytes(Path.of(args[7]));
        negativeSoa = args.length == 8;

        DatagramSocket udp = new DatagramSocket(dnsAt);
        ServerSocket tcp = new ServerSocket();
        tcp.setReuseAddress(true);
        tcp.bind(dnsAt, 64);
        daemon("dns-udp", () -> serveUdp(udp));
        daemon("dns-tcp", () -> serveTcp(tcp));

        SSLContext ctx = serverContext(args[2], args[3]);
        HttpsServer https = HttpsServer.create(httpsAt, 64);
        https.setHttpsConfigurator(new HttpsConfigurator(ctx) {
            @Override
            public void configure(HttpsParameters p) {
                p.setSSLParameters(ctx.getDefaultSSLParameters());
            }
        });
        https.createContext("/", exchange -> {
            String host = String.valueOf(exchange.getRequestHeaders().getFirst("Host"));
            String path = exchange.getRequestURI().getRawPath();
            count("https " + host.toLowerCase(Locale.ROOT) + " " + path);
            if (exchange instanceof HttpsExchange x && x.getSSLSession() != null
                    && SESSIONS.add(Base64.getEncoder().encodeToString(x.getSSLSession().getId()))) {
                count("https-tls-sessions");
            }
            byte[] body;
            int status;
            if (exchange.getRequestMethod().equals("GET") && path.equals("/.well-known/mta-sts.txt")) {
                status = 200;
                body = policy;
                exchange.getResponseHeaders().set("Content-Type", "text/plain");
            } else {
                status = 404;
                body = "not found\n".getBytes(StandardCharsets.US_ASCII);
                exchange.getResponseHeaders().set("Content-Type", "text/plain");
            }
            exchange.sendResponseHeaders(status, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        https.setExecutor(Executors.newFixedThreadPool(4));
        https.start();
        System.err.println("StsPeers: DNS on " + dnsAt + " (udp+tcp), HTTPS on " + httpsAt + ", counts in " + countsFile);

        long written = -1;
        while (true) {
            long c = CHANGES.get();
            if (c != written) {
                write(countsFile);
                written = c;
            }
            Thread.sleep(20);
        }
    }

    static final java.util.Set<String> SESSIONS = ConcurrentHashMap.newKeySet();

    static void count(String key) {
        COUNTS.computeIfAbsent(key, k -> new AtomicLong()).incrementAndGet();
        CHANGES.incrementAndGet();
    }

    static void write(Path file) throws IOException {
        StringBuilder b = new StringBuilder();
        for (Map.Entry<String, AtomicLong> e : new TreeMap<>(COUNTS).entrySet()) {
            b.append(e.getKey()).append(' ').append(e.getValue().get()).append('\n');
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, b.toString());
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    static void daemon(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
    }

    static InetSocketAddress hostPort(String s) throws IOException {
        int i = s.lastIndexOf(':');
        return new InetSocketAddress(InetAddress.getByName(s.substring(0, i)), Integer.parseInt(s.substring(i + 1)));
    }

    // ------------------------------------------------------------------ DNS

    static Zone zone(String text, long ttl) throws IOException {
        String soa = "@ " + ttl + " IN SOA ns.test. hostmaster.test. 1 3600 900 604800 " + ttl + "\n"
                + "@ " + ttl + " IN NS ns.test.\nns " + ttl + " IN A 127.0.0.1\n";
        List<Record> records = new ArrayList<>();
        try (Master m = new Master(new ByteArrayInputStream((soa + text).getBytes(StandardCharsets.UTF_8)), origin, ttl)) {
            Record r;
            while ((r = m.nextRecord()) != null) {
                records.add(r);
            }
        }
        return new Zone(origin, records.toArray(new Record[0]));
    }

    static void serveUdp(DatagramSocket udp) {
        byte[] buf = new byte[4096];
        while (true) {
            try {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                udp.receive(p);
                byte[] out = answer(java.util.Arrays.copyOf(p.getData(), p.getLength()), 512, "udp");
                udp.send(new DatagramPacket(out, out.length, p.getSocketAddress()));
            } catch (IOException e) {
                // a bad packet: ignore it, as servers do
            }
        }
    }

    static void serveTcp(ServerSocket tcp) {
        while (true) {
            try {
                Socket s = tcp.accept();
                daemon("dns-tcp-conn", () -> {
                    try (s; DataInputStream in = new DataInputStream(s.getInputStream());
                         DataOutputStream out = new DataOutputStream(s.getOutputStream())) {
                        while (true) {
                            byte[] q = in.readNBytes(in.readUnsignedShort());
                            byte[] a = answer(q, 65535, "tcp");
                            out.writeShort(a.length);
                            out.write(a);
                            out.flush();
                        }
                    } catch (IOException e) {
                        // client closed
                    }
                });
            } catch (IOException e) {
                return;
            }
        }
    }

    static byte[] answer(byte[] wire, int max, String transport) throws IOException {
        Message query = new Message(wire);
        Record question = query.getQuestion();
        count("dns " + question.getName().toString().toLowerCase(Locale.ROOT) + " " + Type.string(question.getType())
                + (transport.equals("tcp") ? "/tcp" : ""));
        Message response = new Message(query.getHeader().getID());
        response.getHeader().setFlag(Flags.QR);
        if (query.getHeader().getFlag(Flags.RD)) {
            response.getHeader().setFlag(Flags.RD);
        }
        response.addRecord(question, Section.QUESTION);
        Name name = question.getName();
        if (!name.subdomain(origin)) {
            response.getHeader().setRcode(Rcode.REFUSED);
            return response.toWire(max);
        }
        response.getHeader().setFlag(Flags.AA);
        for (int hops = 0; hops < 8; hops++) {
            SetResponse sr = zone.findRecords(name, question.getType());
            if (sr.isSuccessful()) {
                sr.answers().forEach(set -> set.rrs().forEach(r -> response.addRecord(r, Section.ANSWER)));
                break;
            }
            if (sr.isCNAME()) {
                CNAMERecord cname = sr.getCNAME();
                response.addRecord(cname, Section.ANSWER);
                name = cname.getTarget();
                continue;
            }
            if (sr.isNXDOMAIN()) {
                response.getHeader().setRcode(Rcode.NXDOMAIN);
            }
            // RFC 2308: the SOA in the authority section lets resolvers cache the negative answer
            if (negativeSoa) {
                response.addRecord(zone.getSOA(), Section.AUTHORITY);
            }
            break;
        }
        return response.toWire(max);
    }

    // ------------------------------------------------------------------ TLS

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

    static SSLContext serverContext(String certFile, String keyFile) throws Exception {
        byte[] der = pem(keyFile, "PRIVATE KEY").get(0);
        PrivateKey key = null;
        for (String alg : new String[] {"RSA", "EC"}) {
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
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        List<Certificate> certs = new ArrayList<>();
        for (byte[] c : pem(certFile, "CERTIFICATE")) {
            certs.add(cf.generateCertificate(new ByteArrayInputStream(c)));
        }
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("host", key, new char[0], certs.toArray(new Certificate[0]));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, new char[0]);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        return ctx;
    }
}
