package relay.core.tls;

import java.net.IDN;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

/**
 * RFC 6125 §6.4 DNS-ID matching, as RFC 8461 §3.3/§4.2 use it: only subjectAltName dNSName
 * entries count (never the CN, §6.4.4 and MTA-STS §4.2), labels compare case-insensitively in
 * A-label form (§6.4.1-2), a trailing dot is ignored, and a wildcard is allowed only as the
 * whole left-most label, where it matches exactly one label (§6.4.3; no partial {@code f*.x}).
 */
public final class DnsIdMatcher {

    private static final int DNS_NAME = 2;

    private DnsIdMatcher() {
    }

    /** Whether the certificate names {@code host} in a subjectAltName dNSName. */
    public static boolean matches(X509Certificate certificate, String host) {
        return dnsNames(certificate).stream().anyMatch(id -> matches(id, host));
    }

    /** Whether the presented identifier {@code id} (from the certificate) matches {@code host}. */
    public static boolean matches(String id, String host) {
        String reference = canonical(host);
        String presented = canonical(id);
        if (reference == null || presented == null) {
            return false;
        }
        if (!presented.contains("*")) {
            return presented.equals(reference);
        }
        if (!presented.startsWith("*.") || presented.indexOf('*', 1) >= 0) {
            return false;
        }
        String suffix = presented.substring(1);
        // "*.example.com" needs at least two labels after the wildcard, never "*.com"
        if (suffix.chars().filter(c -> c == '.').count() < 2) {
            return false;
        }
        if (!reference.endsWith(suffix)) {
            return false;
        }
        String label = reference.substring(0, reference.length() - suffix.length());
        return !label.isEmpty() && !label.contains(".");
    }

    /** The dNSName entries of the certificate's subjectAltName extension. */
    public static List<String> dnsNames(X509Certificate certificate) {
        List<String> names = new ArrayList<>();
        try {
            Collection<List<?>> sans = certificate.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    if (san.size() >= 2 && Integer.valueOf(DNS_NAME).equals(san.get(0)) && san.get(1) instanceof String s) {
                        names.add(s);
                    }
                }
            }
        } catch (CertificateParsingException e) {
            // an unparsable extension names nothing
        }
        return names;
    }

    private static String canonical(String name) {
        if (name == null || name.isEmpty()) {
            return null;
        }
        String n = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
        if (n.isEmpty() || n.contains("..")) {
            return null;
        }
        try {
            // wildcards are not valid in IDN conversion: convert the rest only
            if (n.startsWith("*.")) {
                return "*." + IDN.toASCII(n.substring(2), IDN.ALLOW_UNASSIGNED).toLowerCase(Locale.ROOT);
            }
            return IDN.toASCII(n, IDN.ALLOW_UNASSIGNED).toLowerCase(Locale.ROOT);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
