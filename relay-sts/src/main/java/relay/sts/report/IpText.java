package relay.sts.report;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * RFC 8460 §4.4 (RPT-25): IPv4 addresses in dotted decimal, IPv6 in the RFC 5952 text form
 * (lower case, leading zeros dropped, the longest run of two or more zero groups as {@code ::},
 * the first such run on a tie). Text that is not an IP literal is kept as given.
 */
public final class IpText {

    /** Four decimal octets, 0-255 each, as RFC 8460 §4.4 writes IPv4. */
    private static final Pattern DOTTED_QUAD = Pattern.compile(
            "((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])");

    private IpText() {
    }

    public static Optional<String> canonical(Optional<String> ip) {
        return ip.map(IpText::canonical);
    }

    public static String canonical(String ip) {
        String bare = ip.startsWith("[") && ip.endsWith("]") ? ip.substring(1, ip.length() - 1) : ip;
        // only an IPv6 literal (it has a ':') or a dotted quad: InetAddress would look anything
        // else up in DNS ("beef", "cafe.be") or read it the BSD way ("10.1" as 10.0.0.1)
        if (!(bare.contains(":") && bare.matches("[0-9A-Fa-f:.]+")) && !DOTTED_QUAD.matcher(bare).matches()) {
            return ip;
        }
        InetAddress a;
        try {
            a = InetAddress.getByName(bare); // a literal: no lookup
        } catch (UnknownHostException e) {
            return ip;
        }
        return a instanceof Inet6Address ? rfc5952(a.getAddress()) : a.getHostAddress();
    }

    private static String rfc5952(byte[] b) {
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) {
            g[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLen = 1;
        for (int i = 0; i < 8; i++) {
            int j = i;
            while (j < 8 && g[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = Math.max(i, j);
        }
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                s.append("::");
                i += bestLen - 1;
                continue;
            }
            if (s.length() > 0 && s.charAt(s.length() - 1) != ':') {
                s.append(':');
            }
            s.append(Integer.toHexString(g[i]));
        }
        return s.toString().toLowerCase(Locale.ROOT);
    }
}
