package relay.core.testing;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Master;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SetResponse;
import org.xbill.DNS.Zone;

/**
 * An authoritative DNS server for tests that speaks the real wire format over UDP and TCP on
 * loopback: dnsjava's {@link Zone} behind two small loops. Names can be made to answer SERVFAIL
 * or not at all, to test failures. Zone text is master-file syntax; the SOA and NS are added.
 */
public final class MiniDns implements AutoCloseable {

    private final Name origin;
    private volatile Zone zone;
    private final DatagramSocket udp;
    private final ServerSocket tcp;
    private final Set<String> servfail = ConcurrentHashMap.newKeySet();
    private final Set<String> silent = ConcurrentHashMap.newKeySet();
    private final AtomicInteger queries = new AtomicInteger();
    private volatile boolean running = true;

    private MiniDns(Name origin, Zone zone, DatagramSocket udp, ServerSocket tcp) {
        this.origin = origin;
        this.zone = zone;
        this.udp = udp;
        this.tcp = tcp;
    }

    /** Starts serving {@code origin} with the records in {@code zoneText} (names relative to it). */
    public static MiniDns start(String origin, String zoneText) throws IOException {
        Name o = Name.fromString(origin.endsWith(".") ? origin : origin + ".");
        InetAddress lo = InetAddress.getLoopbackAddress();
        DatagramSocket udp = new DatagramSocket(new InetSocketAddress(lo, 0));
        ServerSocket tcp;
        try {
            tcp = new ServerSocket(udp.getLocalPort(), 50, lo);
        } catch (IOException e) {
            udp.close();
            throw e;
        }
        MiniDns dns = new MiniDns(o, parse(o, zoneText), udp, tcp);
        Thread u = new Thread(dns::serveUdp, "minidns-udp");
        u.setDaemon(true);
        u.start();
        Thread t = new Thread(dns::serveTcp, "minidns-tcp");
        t.setDaemon(true);
        t.start();
        return dns;
    }

    public InetSocketAddress address() {
        return new InetSocketAddress(udp.getLocalAddress(), udp.getLocalPort());
    }

    /** Replaces every record (keeps the failure switches). */
    public void setZone(String zoneText) throws IOException {
        zone = parse(origin, zoneText);
    }

    /** Answers SERVFAIL for this name (absolute or relative), whatever is asked. */
    public void servfail(String name) {
        servfail.add(key(name));
    }

    /** Never answers questions about this name, so the client times out. */
    public void silence(String name) {
        silent.add(key(name));
    }

    public void heal() {
        servfail.clear();
        silent.clear();
    }

    /** Questions received so far (UDP and TCP). */
    public int queries() {
        return queries.get();
    }

    private String key(String name) {
        String n = name.endsWith(".") ? name : name + "." + origin;
        return n.toLowerCase(Locale.ROOT);
    }

    private static Zone parse(Name origin, String text) throws IOException {
        String soa = "@ 300 IN SOA ns." + origin + " hostmaster." + origin + " 1 3600 900 604800 60\n"
                + "@ 300 IN NS ns." + origin + "\n";
        List<Record> records = new ArrayList<>();
        try (Master m = new Master(new ByteArrayInputStream((soa + text).getBytes(StandardCharsets.UTF_8)), origin, 300)) {
            Record r;
            while ((r = m.nextRecord()) != null) {
                records.add(r);
            }
        }
        return new Zone(origin, records.toArray(new Record[0]));
    }

    private void serveUdp() {
        byte[] buf = new byte[4096];
        while (running) {
            try {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                udp.receive(p);
                byte[] in = java.util.Arrays.copyOf(p.getData(), p.getLength());
                byte[] out = answer(in, 512);
                if (out != null) {
                    udp.send(new DatagramPacket(out, out.length, p.getSocketAddress()));
                }
            } catch (SocketException e) {
                return;
            } catch (IOException e) {
                // a bad packet: ignore it, as servers do
            }
        }
    }

    private void serveTcp() {
        while (running) {
            try {
                Socket s = tcp.accept();
                Thread t = new Thread(() -> serveTcpConnection(s), "minidns-tcp-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serveTcpConnection(Socket s) {
        try (s; DataInputStream in = new DataInputStream(s.getInputStream());
             DataOutputStream out = new DataOutputStream(s.getOutputStream())) {
            while (true) {
                int len = in.readUnsignedShort();
                byte[] q = in.readNBytes(len);
                byte[] a = answer(q, 65535);
                if (a == null) {
                    continue;
                }
                out.writeShort(a.length);
                out.write(a);
                out.flush();
            }
        } catch (IOException e) {
            // client closed
        }
    }

    private byte[] answer(byte[] wire, int max) throws IOException {
        Message query = new Message(wire);
        queries.incrementAndGet();
        Record question = query.getQuestion();
        Message response = new Message(query.getHeader().getID());
        response.getHeader().setFlag(Flags.QR);
        if (query.getHeader().getFlag(Flags.RD)) {
            response.getHeader().setFlag(Flags.RD);
        }
        response.addRecord(question, Section.QUESTION);
        String qname = question.getName().toString().toLowerCase(Locale.ROOT);
        if (silent.contains(qname)) {
            return null;
        }
        if (servfail.contains(qname)) {
            response.getHeader().setRcode(Rcode.SERVFAIL);
            return response.toWire(max);
        }
        response.getHeader().setFlag(Flags.AA);
        Name name = question.getName();
        for (int hops = 0; hops < 8; hops++) {
            if (!name.subdomain(origin)) {
                break;
            }
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
            response.addRecord(zone.getSOA(), Section.AUTHORITY);
            break;
        }
        return response.toWire(max);
    }

    @Override
    public void close() {
        running = false;
        udp.close();
        try {
            tcp.close();
        } catch (IOException ignored) {
            // closing
        }
    }
}
