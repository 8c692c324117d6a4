package relay.core.mail;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.regex.Pattern;

/** RFC 5321 §4.1.3 address literals: {@code [192.0.2.1]} and {@code [IPv6:2001:db8::1]}. */
final class AddressLiteral {

    private static final Pattern IPV4 = Pattern.compile(
            "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9a-fA-F:.]+");

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
            if (IPV6.matcher(v6).matches() && v6.contains(":")) {
                try {
                    // literal digits and colons only: no DNS lookup can happen here
                    String canonical = InetAddress.getByName(v6).getHostAddress().toLowerCase(Locale.ROOT);
                    return "[IPv6:" + canonical + "]";
                } catch (UnknownHostException e) {
                    throw new IllegalArgumentException("invalid IPv6 literal '" + text + "'", e);
                }
            }
        }
        throw new IllegalArgumentException("invalid address literal '" + text + "'");
    }
}
