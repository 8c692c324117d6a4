package relay.core.mail;

import java.net.IDN;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A mail domain in its canonical form: ASCII (A-labels), lower case, no trailing dot; or an
 * RFC 5321 §4.1.3 address literal such as {@code [192.0.2.1]} or {@code [IPv6:2001:db8::1]}.
 */
public record Domain(String name) implements Comparable<Domain> {

    private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

    public Domain {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("empty domain");
        }
    }

    /**
     * Parses a domain as written in an SMTP path or a configuration file. RFC 5321 §2.3.5:
     * labels of letters, digits and hyphens, at most 63 octets each and 255 in all; U-labels are
     * converted to A-labels (RFC 5890) so that every comparison is on one form.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static Domain parse(String text) {
        if (text == null || text.isEmpty()) {
            throw new IllegalArgumentException("empty domain");
        }
        if (text.startsWith("[")) {
            return new Domain(AddressLiteral.canonical(text));
        }
        String ascii;
        try {
            ascii = IDN.toASCII(text, IDN.USE_STD3_ASCII_RULES);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid domain '" + text + "': " + e.getMessage(), e);
        }
        ascii = ascii.toLowerCase(Locale.ROOT);
        if (ascii.endsWith(".")) {
            ascii = ascii.substring(0, ascii.length() - 1);
        }
        if (ascii.isEmpty() || ascii.length() > 253) {
            throw new IllegalArgumentException("invalid domain '" + text + "': bad length");
        }
        for (String label : ascii.split("\\.", -1)) {
            if (!LABEL.matcher(label).matches()) {
                throw new IllegalArgumentException("invalid domain '" + text + "': bad label '" + label + "'");
            }
        }
        return new Domain(ascii);
    }

    /** RFC 5321 §4.1.3: an address literal names a host, not a domain with MX records. */
    public boolean isAddressLiteral() {
        return name.startsWith("[");
    }

    @Override
    public int compareTo(Domain o) {
        return name.compareTo(o.name);
    }

    @Override
    public String toString() {
        return name;
    }
}
