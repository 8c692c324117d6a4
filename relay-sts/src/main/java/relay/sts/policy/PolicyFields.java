package relay.sts.policy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The fields of one policy, taken line by line under the RFC 8461 §3.2 ABNF:
 * {@code key ":" *WSP value *WSP}, keys case-sensitive, the first of a repeated non-mx field
 * counts and the others are ignored, unknown fields are checked against the extension syntax
 * and then ignored.
 */
final class PolicyFields {

    /** RFC 8461 §3.2 sts-policy-ext-name (and the names of the known fields). */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,31}");
    private static final Pattern DIGITS = Pattern.compile("[0-9]+");
    private static final Set<String> KNOWN = Set.of("version", "mode", "max_age", "mx");

    private final Set<String> seen = new HashSet<>();
    private final List<MxPattern> mx = new ArrayList<>();
    private final List<String> caseVariants = new ArrayList<>();
    private Mode mode;
    private MaxAge maxAge;

    /** Takes one line; returns what is wrong with it, or null. */
    String take(String line) {
        if (line.chars().allMatch(c -> c == ' ' || c == '\t')) {
            return null; // blank lines: not in the ABNF, seen in the wild, carry nothing
        }
        String bad = badCharacter(line);
        if (bad != null) {
            return bad;
        }
        if (isWsp(line.charAt(0))) {
            return "whitespace before the field name (RFC 8461 §3.2: a line starts with its key)";
        }
        int colon = line.indexOf(':');
        if (colon < 0) {
            return "no ':' in '" + line + "' (RFC 8461 §3.2: each line is key: value)";
        }
        String name = line.substring(0, colon);
        if (!name.isEmpty() && isWsp(name.charAt(name.length() - 1))) {
            return "whitespace between '" + trimWsp(name) + "' and ':' (RFC 8461 §3.2: the key is followed by ':')";
        }
        if (!NAME.matcher(name).matches()) {
            return "'" + name + "' is not a field name (1 to 32 letters, digits, '_', '-' or '.', "
                    + "starting with a letter or digit)";
        }
        String value = trimWsp(line.substring(colon + 1));
        boolean first = seen.add(name);
        switch (name) {
            case "version":
                return first ? version(value) : null;
            case "mode":
                return first ? mode(value) : null;
            case "max_age":
                return first ? maxAge(value) : null;
            case "mx":
                return mx(value);
            default:
                return extension(name, value);
        }
    }

    /** RFC 8461 §3.2: the required fields, and mx unless the mode is none. */
    PolicyResult finish(List<String> lines) {
        if (seen.isEmpty()) {
            return new PolicyResult.Rejected(0, "the policy is empty: no fields (RFC 8461 §3.2)");
        }
        if (!seen.contains("version")) {
            return missing("version: STSv1", "version");
        }
        if (mode == null) {
            return missing("mode", "mode");
        }
        if (maxAge == null) {
            return missing("max_age", "max_age");
        }
        if (mode != Mode.NONE && mx.isEmpty()) {
            return new PolicyResult.Rejected(0, "mode " + mode.token()
                    + " without an mx line (RFC 8461 §3.2: mx is required unless mode is none)");
        }
        return new PolicyResult.Parsed(new Policy(mode, maxAge, mx, lines));
    }

    /** RFC 8461 §3.2 sts-policy-version-value: {@code %s"STSv1"} (STS-30). */
    private String version(String value) {
        return value.equals("STSv1") ? null
                : "version '" + value + "' is not STSv1 (RFC 8461 §3.2, case-sensitive)";
    }

    /** RFC 8461 §3.2 sts-policy-mode-value (STS-31). */
    private String mode(String value) {
        Optional<Mode> parsed = Mode.ofToken(value);
        parsed.ifPresent(m -> mode = m);
        return parsed.isPresent() ? null
                : "mode '" + value + "' is not enforce, testing or none (RFC 8461 §3.2, case-sensitive)";
    }

    /** RFC 8461 §3.2 sts-policy-max-age-value: {@code 1*10DIGIT} (STS-32); above the maximum: clamped. */
    private String maxAge(String value) {
        if (!DIGITS.matcher(value).matches()) {
            return "max_age '" + value + "' is not a number of seconds: 1 to 10 digits 0-9 (RFC 8461 §3.2)";
        }
        if (value.length() > 10) {
            return "max_age '" + value + "' has " + value.length() + " digits, at most 10 (RFC 8461 §3.2)";
        }
        maxAge = MaxAge.of(Long.parseLong(value));
        return null;
    }

    /** RFC 8461 §3.2 sts-policy-mx-value; decision STS-36: one bad mx line rejects the policy. */
    private String mx(String value) {
        try {
            mx.add(MxPattern.parse(value));
            return null;
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }

    /** RFC 8461 §3.2 sts-policy-ext-value: visible characters, spaces only between them. */
    private String extension(String name, String value) {
        if (KNOWN.contains(name.toLowerCase(Locale.ROOT))) {
            caseVariants.add(name);
        }
        if (value.isEmpty()) {
            return "field '" + name + "' has no value (RFC 8461 §3.2)";
        }
        if (value.indexOf('\t') >= 0) {
            return "a tab inside the value of '" + name + "' (RFC 8461 §3.2: only spaces between its characters)";
        }
        return null;
    }

    private PolicyResult missing(String what, String name) {
        String hint = caseVariants.stream()
                .filter(variant -> variant.toLowerCase(Locale.ROOT).equals(name))
                .findFirst()
                .map(variant -> "; '" + variant + "' is another field: field names are case-sensitive")
                .orElse("");
        return new PolicyResult.Rejected(0, "no '" + what + "' line (RFC 8461 §3.2: required)" + hint);
    }

    /** ABNF core CTL (%x00-1F / %x7F) other than the tab of WSP; a CR here is not part of CRLF. */
    private static String badCharacter(String line) {
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '\r') {
                return "a CR inside the line (RFC 8461 §3.2: lines end with LF or CRLF)";
            }
            if (c < 0x20 && c != '\t' || c == 0x7f) {
                return String.format("control character U+%04X (RFC 8461 §3.2)", (int) c);
            }
        }
        return null;
    }

    private static boolean isWsp(char c) {
        return c == ' ' || c == '\t';
    }

    private static String trimWsp(String s) {
        int start = 0;
        int end = s.length();
        while (start < end && isWsp(s.charAt(start))) {
            start++;
        }
        while (end > start && isWsp(s.charAt(end - 1))) {
            end--;
        }
        return s.substring(start, end);
    }
}
