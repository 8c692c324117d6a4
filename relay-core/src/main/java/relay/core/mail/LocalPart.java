package relay.core.mail;

/** RFC 5321 §4.1.2 Local-part = Dot-string / Quoted-string, with RFC 6531 UTF-8 when allowed. */
final class LocalPart {

    private static final String ATEXT_SPECIALS = "!#$%&'*+-/=?^_`{|}~";

    private LocalPart() {
    }

    /** Returns the index just past a valid local part at the start of {@code s}. */
    static int end(String s, boolean utf8) {
        if (s.startsWith("\"")) {
            return quotedEnd(s, utf8);
        }
        int i = 0;
        boolean atomStart = true;
        while (i < s.length() && s.charAt(i) != '@') {
            char c = s.charAt(i);
            if (c == '.') {
                if (atomStart) {
                    throw new IllegalArgumentException("local part has an empty atom (leading or doubled '.')");
                }
                atomStart = true;
            } else if (isAtext(c, utf8)) {
                atomStart = false;
            } else {
                throw new IllegalArgumentException("character '" + printable(c) + "' not allowed in a local part");
            }
            i++;
        }
        if (atomStart) {
            throw new IllegalArgumentException(i == 0 ? "empty local part" : "local part ends with '.'");
        }
        return i;
    }

    private static int quotedEnd(String s, boolean utf8) {
        int i = 1;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '"') {
                if (i == 1) {
                    throw new IllegalArgumentException("empty quoted local part");
                }
                return i + 1;
            }
            if (c == '\\') {
                // quoted-pairSMTP = %d92 %d32-126
                if (i + 1 >= s.length() || s.charAt(i + 1) < 32 || s.charAt(i + 1) > 126) {
                    throw new IllegalArgumentException("bad escape in quoted local part");
                }
                i += 2;
                continue;
            }
            // qtextSMTP = %d32-33 / %d35-91 / %d93-126 (and UTF8-non-ascii under SMTPUTF8)
            boolean ok = (c >= 32 && c <= 126) || (utf8 && c > 127);
            if (!ok) {
                throw new IllegalArgumentException("character '" + printable(c) + "' not allowed in a quoted local part");
            }
            i++;
        }
        throw new IllegalArgumentException("unterminated quoted local part");
    }

    private static boolean isAtext(char c, boolean utf8) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || ATEXT_SPECIALS.indexOf(c) >= 0 || (utf8 && c > 127 && !Character.isISOControl(c));
    }

    private static String printable(char c) {
        return c < 32 || c == 127 ? String.format("\\x%02x", (int) c) : String.valueOf(c);
    }
}
