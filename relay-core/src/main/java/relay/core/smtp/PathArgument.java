package relay.core.smtp;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The argument of MAIL or RCPT, split into its path and its ESMTP parameters (RFC 5321 §4.1.2:
 * {@code "FROM:" Reverse-path [SP Mail-parameters]}). Keywords are upper-cased; a keyword
 * without a value maps to the empty string.
 */
record PathArgument(String path, Map<String, String> parameters) {

    /**
     * @param args the text after the verb, e.g. {@code FROM:<a@b.example> SIZE=10}
     * @param keyword {@code FROM:} or {@code TO:}
     * @throws SmtpSyntaxException with the reply to send
     */
    static PathArgument parse(String args, String keyword) throws SmtpSyntaxException {
        String a = args.strip();
        if (!a.regionMatches(true, 0, keyword, 0, keyword.length())) {
            throw new SmtpSyntaxException("501 5.5.4 Syntax: " + (keyword.equals("FROM:") ? "MAIL FROM:<address>" : "RCPT TO:<address>"));
        }
        // RFC 5321 says no space after the colon; common clients send one anyway (Postfix accepts it too)
        a = a.substring(keyword.length()).stripLeading();
        if (!a.startsWith("<")) {
            throw new SmtpSyntaxException("501 5.1.3 Address must be enclosed in angle brackets");
        }
        int close = closingBracket(a);
        if (close < 0) {
            throw new SmtpSyntaxException("501 5.1.3 Missing '>' after the address");
        }
        String path = stripSourceRoute(a.substring(1, close));
        String rest = a.substring(close + 1);
        if (!rest.isEmpty() && !rest.startsWith(" ")) {
            throw new SmtpSyntaxException("501 5.5.4 Expected a space between the address and its parameters");
        }
        Map<String, String> params = new LinkedHashMap<>();
        for (String p : rest.strip().split(" +")) {
            if (p.isEmpty()) {
                continue;
            }
            int eq = p.indexOf('=');
            String key = (eq < 0 ? p : p.substring(0, eq)).toUpperCase(Locale.ROOT);
            String value = eq < 0 ? "" : p.substring(eq + 1);
            if (key.isEmpty() || !key.matches("[A-Z0-9][A-Z0-9-]*") || (eq >= 0 && value.isEmpty())) {
                throw new SmtpSyntaxException("501 5.5.4 Malformed parameter '" + printable(p) + "'");
            }
            if (params.putIfAbsent(key, value) != null) {
                throw new SmtpSyntaxException("501 5.5.4 Parameter " + key + " given twice");
            }
        }
        return new PathArgument(path, params);
    }

    /** The index of the '>' that closes the path, skipping a quoted local part. */
    private static int closingBracket(String a) {
        boolean quoted = false;
        for (int i = 1; i < a.length(); i++) {
            char c = a.charAt(i);
            if (c == '\\' && quoted) {
                i++;
            } else if (c == '"') {
                quoted = !quoted;
            } else if (c == '>' && !quoted) {
                return i;
            }
        }
        return -1;
    }

    /** RFC 5321 §4.1.1.3 / §C: a source route {@code @a,@b:user@c} MUST be accepted and SHOULD be ignored. */
    private static String stripSourceRoute(String path) {
        if (path.startsWith("@")) {
            int colon = path.indexOf(':');
            if (colon > 0) {
                return path.substring(colon + 1);
            }
        }
        return path;
    }

    static String printable(String s) {
        StringBuilder sb = new StringBuilder();
        for (char c : s.toCharArray()) {
            sb.append(c < 32 || c == 127 ? '?' : c);
        }
        return sb.length() > 64 ? sb.substring(0, 64) + "..." : sb.toString();
    }
}
