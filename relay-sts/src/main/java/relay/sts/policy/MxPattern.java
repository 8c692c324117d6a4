package relay.sts.policy;

import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;
import relay.core.mail.Domain;

/**
 * One {@code mx} value of a policy (RFC 8461 §3.2 {@code sts-policy-mx-value = ["*."] Domain}),
 * held in A-label form, lower case, without a trailing dot.
 *
 * @param wildcard true for {@code *.domain}: any host exactly one label below {@code domain}
 * @param domain the fixed part of the pattern
 */
public record MxPattern(boolean wildcard, Domain domain) {

    private static final Pattern IPV4 = Pattern.compile("[0-9]{1,3}(\\.[0-9]{1,3}){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*");
    private static final Pattern DIGITS = Pattern.compile("[0-9]+");
    /**
     * The four characters that IDNA2003 (java.net.IDN) maps and IDNA2008 keeps (UTS #46
     * deviations): {@code ß}, final sigma, ZWNJ, ZWJ. A U-label with one of them has two
     * different A-labels, so we cannot tell which host the publisher meant.
     */
    private static final String DEVIATIONS = "\u00DF\u03C2\u200C\u200D";

    public MxPattern {
        Objects.requireNonNull(domain, "domain");
        if (domain.isAddressLiteral()) {
            throw new IllegalArgumentException("an mx pattern names hosts, not '" + domain + "'");
        }
    }

    /**
     * Parses one {@code mx} value. RFC 8461 §3.2: {@code ["*."] Domain}, the Domain of RFC 5321
     * §4.1.2, so no address literals and no IP addresses (STS-37); one host per line (STS-36).
     * RFC 8461 §4.1: a wildcard is the whole left-most label, nowhere else. Seen in the wild and
     * accepted: U-labels (converted to A-labels, STS-38: the RFC says publishers MUST NOT write
     * them, but their meaning is plain), upper case, a trailing dot.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static MxPattern parse(String text) {
        if (text.isEmpty()) {
            throw bad(text, "empty");
        }
        if (text.indexOf(',') >= 0 || text.indexOf(' ') >= 0 || text.indexOf('\t') >= 0) {
            throw bad(text, "more than one host: one host per mx line "
                    + "(RFC 8461 §3.2: each MX MUST have its own mx: key)");
        }
        boolean wildcard = text.startsWith("*.");
        String name = wildcard ? text.substring(2) : text;
        if (name.indexOf('*') >= 0) {
            throw bad(text, text.startsWith("*") && !wildcard
                    ? "'*' must be a whole label followed by '.' (RFC 8461 §4.1)"
                    : "'*' is allowed only as the whole left-most label (RFC 8461 §4.1)");
        }
        if (name.isEmpty()) {
            throw bad(text, "no domain after '*.'");
        }
        if (name.startsWith("[")) {
            throw bad(text, "an address literal, not a host name (RFC 8461 §3.2: [\"*.\"] Domain)");
        }
        if (IPV4.matcher(name).matches() || IPV6.matcher(name).matches()) {
            throw bad(text, "an IP address, not a host name (RFC 8461 §3.2: [\"*.\"] Domain)");
        }
        if (name.indexOf(':') >= 0) {
            throw bad(text, "':' in a host name (a port is not part of an mx pattern)");
        }
        if (name.startsWith(".")) {
            throw bad(text, "starts with '.'; '*.example.com' is the pattern for hosts under example.com");
        }
        for (char c : DEVIATIONS.toCharArray()) {
            if (name.indexOf(c) >= 0) {
                throw bad(text, "'" + c + "' has different A-labels under IDNA2003 and IDNA2008; "
                        + "publish the A-label (RFC 8461 §3.2)");
            }
        }
        Domain domain;
        try {
            domain = Domain.parse(name);
        } catch (IllegalArgumentException e) {
            throw bad(text, e.getMessage());
        }
        String last = domain.name().substring(domain.name().lastIndexOf('.') + 1);
        if (DIGITS.matcher(last).matches()) {
            throw bad(text, "the last label '" + last + "' is all digits: not a host name (RFC 3696 §2)");
        }
        return new MxPattern(wildcard, domain);
    }

    /**
     * RFC 8461 §4.1 with RFC 6125 §6.4: does the MX host name (the exchange of the MX record, not
     * its CNAME target) match? Labels compare case-insensitively in A-label form, a trailing
     * dot is ignored, and {@code *.example.com} matches {@code mail.example.com} but neither
     * {@code example.com} nor {@code a.b.example.com}. An address literal never matches.
     */
    public boolean matches(Domain mxHost) {
        String host = canonical(mxHost.name());
        if (host == null) {
            return false;
        }
        String base = domain.name();
        if (!wildcard) {
            return host.equals(base);
        }
        int dot = host.length() - base.length() - 1;
        return dot > 0 && host.endsWith(base) && host.charAt(dot) == '.'
                && host.lastIndexOf('.', dot - 1) < 0 && host.indexOf('*') < 0;
    }

    /** The pattern as a policy writes it, in A-labels: {@code *.example.net}. */
    @Override
    public String toString() {
        return wildcard ? "*." + domain.name() : domain.name();
    }

    /** Lower-case A-labels without a trailing dot; null for what cannot be a host name. */
    private static String canonical(String name) {
        if (name.startsWith("[")) {
            return null;
        }
        String host = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
        if (host.chars().allMatch(c -> c < 0x80)) {
            return host.toLowerCase(Locale.ROOT);
        }
        try {
            return Domain.parse(host).name();
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static IllegalArgumentException bad(String text, String problem) {
        return new IllegalArgumentException("mx '" + text + "': " + problem);
    }
}
