package relay.sts.report.record;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import relay.core.mail.MailAddress;

/**
 * Reads the TXT records found at {@code _smtp._tls.<domain>} (RFC 8460 §3). Pure: the caller does
 * the DNS lookup and hands over each record as the list of its character-strings.
 *
 * <p>Rules and decisions, each pinned by a row of {@code TlsRptRecordParserTest}:
 * <ul>
 *   <li>RPT-04: the strings of one record are joined with no separator.
 *   <li>RPT-02/03: records that do not begin with {@code v=TLSRPTv1} (case-sensitive) followed by
 *       the end, WSP or {@code ;} are discarded; if not exactly one remains, the domain does not
 *       implement TLSRPT. Two TLSRPT records are {@link RptDiscovery.Multiple} even when one is
 *       broken.
 *   <li>RPT-05: {@code rua=} is required; its URIs are separated by {@code *WSP "," *WSP}. Of
 *       several {@code rua} fields the first counts (as for the MTA-STS id).
 *   <li>RPT-06: only {@code mailto:} and {@code https:} URIs are used; others, and URIs that do not
 *       parse, are ignored. A record left with no usable URI is {@link RptDiscovery.Invalid}.
 *   <li>RPT-07: other fields are ignored; each must still be {@code name=value} with an ABNF
 *       {@code tlsrpt-ext-name}.
 * </ul>
 */
public final class TlsRptRecordParser {

    /** RFC 8460 §3 tlsrpt-version, case-sensitive. */
    static final String VERSION = "v=TLSRPTv1";
    /** RFC 8460 §3 tlsrpt-ext-name. */
    private static final Pattern EXT_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,31}");
    /** RFC 8460 §3: {@code *WSP "," *WSP} between the URIs of {@code rua}. */
    private static final Pattern URI_DELIMITER = Pattern.compile("[ \\t]*,[ \\t]*");

    private TlsRptRecordParser() {
    }

    /** Reads the TXT RRset as it came off the wire, each byte one character (the record is US-ASCII). */
    public static RptDiscovery parseWire(List<List<byte[]>> txtRecords) {
        return parse(txtRecords.stream()
                .map(strings -> strings.stream().map(b -> new String(b, StandardCharsets.ISO_8859_1)).toList())
                .toList());
    }

    /** Reads the TXT RRset at {@code _smtp._tls.<domain>}: one list of character-strings per record. */
    public static RptDiscovery parse(List<List<String>> txtRecords) {
        List<String> texts = txtRecords.stream().map(strings -> String.join("", strings)).toList();
        List<String> rpt = texts.stream().filter(TlsRptRecordParser::isRptRecord).toList();
        if (rpt.size() > 1) {
            return new RptDiscovery.Multiple(rpt.size(), rpt.size() + " TXT records begin with v=TLSRPTv1 "
                    + "(RFC 8460 §3: exactly one, or no reporting)");
        }
        if (rpt.isEmpty()) {
            return new RptDiscovery.NoRecord(texts.isEmpty() ? "no TXT records"
                    : "none of the " + texts.size() + " TXT records begins with v=TLSRPTv1");
        }
        return parseRecord(rpt.get(0));
    }

    /** RFC 8460 §3: {@code v=TLSRPTv1} then the end, WSP or {@code ;}. */
    static boolean isRptRecord(String text) {
        if (!text.startsWith(VERSION)) {
            return false;
        }
        if (text.length() == VERSION.length()) {
            return true;
        }
        char c = text.charAt(VERSION.length());
        return c == ';' || c == ' ' || c == '\t';
    }

    /** Checks one TLSRPT record against the RFC 8460 §3 ABNF and takes its rua URIs. */
    static RptDiscovery parseRecord(String text) {
        String rest = trimWsp(text.substring(VERSION.length()));
        if (rest.isEmpty()) {
            return invalid(text, "no fields after v=TLSRPTv1 (rua= is required)");
        }
        if (rest.charAt(0) != ';') {
            return invalid(text, "v=TLSRPTv1 must be followed by ';'");
        }
        String[] fields = rest.substring(1).split(";", -1);
        String rua = null;
        for (int i = 0; i < fields.length; i++) {
            String field = trimWsp(fields[i]);
            if (field.isEmpty()) {
                if (i == fields.length - 1 && i > 0) {
                    break; // the optional trailing ";"
                }
                return invalid(text, "empty field");
            }
            int equals = field.indexOf('=');
            if (equals <= 0 || !EXT_NAME.matcher(field.substring(0, equals)).matches()) {
                return invalid(text, "field '" + field + "' is not name=value");
            }
            if (rua == null && field.substring(0, equals).equals("rua")) {
                rua = field.substring(equals + 1);
            }
        }
        if (rua == null) {
            return invalid(text, "no rua field (rua= is required)");
        }
        return readRua(text, rua);
    }

    private static RptDiscovery readRua(String text, String rua) {
        List<Rua> usable = new ArrayList<>();
        List<String> ignored = new ArrayList<>();
        for (String u : URI_DELIMITER.split(rua, -1)) {
            Rua r = uri(u);
            if (r == null) {
                ignored.add(u);
            } else {
                usable.add(r);
            }
        }
        if (usable.isEmpty()) {
            return invalid(text, "no usable mailto: or https: URI in rua (ignored " + ignored + ")");
        }
        return new RptDiscovery.Found(new TlsRptRecord(usable, ignored, text));
    }

    /** RPT-06: a {@code mailto:} with a valid address, or an {@code https:} with a host; else null. */
    public static Rua uri(String text) {
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            return null;
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (scheme.equals("https")) {
            return uri.getHost() == null ? null : new Rua.Https(uri);
        }
        if (scheme.equals("mailto") && uri.isOpaque()) {
            String to = uri.getSchemeSpecificPart();
            int query = to.indexOf('?');
            to = query < 0 ? to : to.substring(0, query);
            try {
                return new Rua.Mailto(uri, MailAddress.parse(to, false));
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
        return null;
    }

    private static RptDiscovery invalid(String text, String problem) {
        return new RptDiscovery.Invalid(problem + " in '" + text + "'");
    }

    private static String trimWsp(String s) {
        int start = 0;
        int end = s.length();
        while (start < end && (s.charAt(start) == ' ' || s.charAt(start) == '\t')) {
            start++;
        }
        while (end > start && (s.charAt(end - 1) == ' ' || s.charAt(end - 1) == '\t')) {
            end--;
        }
        return s.substring(start, end);
    }
}
