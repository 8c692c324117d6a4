package relay.core.testing;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * Loopback addresses beyond 127.0.0.1: on Linux all of 127.0.0.0/8 is local, so several test
 * hosts can listen on the same port number at 127.0.0.2, 127.0.0.3, ... (an outbound client
 * uses one port number for every MX host, as port 25 is in real life).
 */
public final class Loopback {

    private Loopback() {
    }

    /** {@code 127.0.0.<n>}. */
    public static InetAddress host(int n) {
        try {
            return InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) n});
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Something that binds sockets. */
    @FunctionalInterface
    public interface Binding<T> {
        T bind() throws IOException;
    }

    /**
     * Binds, and tries again when the port was taken: a server that binds UDP on a random port
     * and then TCP on the same number (MiniDns) can find it held by one of the many outgoing
     * connections a test suite makes.
     */
    public static <T> T retryingBind(Binding<T> binding) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try {
                return binding.bind();
            } catch (BindException e) {
                if (attempt == 10) {
                    throw e;
                }
            }
        }
    }

    /** A TCP port number that is free on every one of {@code addresses} right now. */
    public static int commonFreePort(List<InetAddress> addresses) {
        for (int attempt = 0; attempt < 50; attempt++) {
            List<ServerSocket> held = new ArrayList<>();
            try {
                ServerSocket first = new ServerSocket(0, 1, addresses.get(0));
                held.add(first);
                int port = first.getLocalPort();
                for (InetAddress a : addresses.subList(1, addresses.size())) {
                    ServerSocket s = new ServerSocket();
                    held.add(s);
                    s.setReuseAddress(true);
                    s.bind(new InetSocketAddress(a, port), 1);
                }
                return port;
            } catch (IOException e) {
                // taken on one of the addresses: try another number
            } finally {
                for (ServerSocket s : held) {
                    try {
                        s.close();
                    } catch (IOException ignored) {
                        // closing
                    }
                }
            }
        }
        throw new IllegalStateException("no port free on all of " + addresses);
    }
}
