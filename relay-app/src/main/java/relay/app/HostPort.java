package relay.app;

import java.net.InetSocketAddress;

/** {@code host}, {@code host:port}, {@code [v6]} or {@code [v6]:port}, without a DNS lookup. */
final class HostPort {

    private HostPort() {
    }

    static InetSocketAddress parse(String text, int defaultPort) {
        String t = text.strip();
        String host = t;
        int port = defaultPort;
        if (t.startsWith("[")) {
            int close = t.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("'" + text + "': missing ']'");
            }
            host = t.substring(1, close);
            if (t.length() > close + 1) {
                if (t.charAt(close + 1) != ':') {
                    throw new IllegalArgumentException("'" + text + "' is not host:port");
                }
                port = port(text, t.substring(close + 2));
            }
        } else if (t.indexOf(':') >= 0 && t.indexOf(':') == t.lastIndexOf(':')) {
            host = t.substring(0, t.indexOf(':'));
            port = port(text, t.substring(t.indexOf(':') + 1));
        }
        if (host.isEmpty()) {
            throw new IllegalArgumentException("'" + text + "' names no host");
        }
        return InetSocketAddress.createUnresolved(host, port);
    }

    private static int port(String text, String p) {
        try {
            int n = Integer.parseInt(p);
            if (n < 1 || n > 65535) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' has a bad port");
        }
    }
}
