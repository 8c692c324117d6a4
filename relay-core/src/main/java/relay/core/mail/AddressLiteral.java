package relay.core.mail;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.regex.Pattern;

/** RFC 5321 §4.1.3 address literals: {@code [192.0.2.1]} and {@code [IPv6:2001:db8::1]}. */
final class AddressLiteral {

    private static final Pattern IPV4 = Pattern.compile(
            "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
    /**
     * Hex digits, colons and dots, with a colon somewhere and no dot first: the JDK then parses
     * the text as an IPv6 literal or fails. (Text that starts with anything else, such as ".1:",
     * is taken by InetAddress.getByName for a host name and looked up.)
     */
    private static final Pattern IPV6 = Pattern.compile("[0-9a-fA-F]*:[0-9a-fA-F:.]*");

    private AddressLiteral() {
    }

    static String canonical(String text) {
        if (!text.startsWith("[") || !text.endsWith("]") || text.length() < 3) {
            throw new IllegalArgumentException("invalid address literal '" + text + "'");
        }
        String inner = text.substring(1, text.length() - 1);
        if (IPV4.matcher(inner).matches()) {
            return "[" + inner + "]";
        }
        if (inner.regionMatches(true, 0, "IPv6:", 0, 5)) {
            String v6 = inner.substring(5);
            if (IPV6.matcher(v6).matches()) {
                try {
                    // an IPv6 literal by the pattern above: no DNS lookup can happen here
                    InetAddress address = InetAddress.getByName(v6);
                    // the JDK turns ::ffff:a.b.c.d into an IPv4 address; keep it an RFC 5321
                    // IPv6v4-comp literal so that the canonical form parses back to itself
                    String canonical = address instanceof Inet4Address
                            ? "::ffff:" + address.getHostAddress()
                            : address.getHostAddress().toLowerCase(Locale.ROOT);
                    return "[IPv6:" + canonical + "]";
                } catch (UnknownHostException e) {
                    throw new IllegalArgumentException("invalid IPv6 literal '" + text + "'", e);
                }
            }
        }
        throw new IllegalArgumentException("invalid address literal '" + text + "'");
    }
}
