package relay.sts.record;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Reads the TXT records found at {@code _mta-sts.<domain>} (RFC 8461 §3.1). Pure: the caller
 * does the DNS lookup (following CNAMEs, STS-09) and hands over each record as the list of its
 * character-strings.
 *
 * <p>Rules and decisions, each pinned by a row of {@code StsRecordParserTest}:
 * <ul>
 *   <li>RFC 8461 §3.1 (STS-08): the strings of one record are joined with no separator.
 *   <li>RFC 8461 §3.1 (STS-05/06): records that do not begin with {@code v=STSv1} are
 *       discarded; if not exactly one remains, there is no policy: two STS records are
 *       {@link Discovery.Multiple} even when one of them is broken, never "take the first".
 *   <li>Erratum 6285 (STS-10), decided: the prose filters on the literal {@code "v=STSv1;"},
 *       but the ABNF's {@code sts-field-delim = *WSP ";" *WSP} allows {@code "v=STSv1 ; id=1"}.
 *       A record counts as an STS record when it begins with {@code v=STSv1} (case-sensitive)
 *       followed by the end, a space, a tab or {@code ;}. So {@code "v=STSv1 ; id=1"} is valid
 *       when it is the only one, and is a second STS record beside another; {@code v=STSv10}
 *       and {@code V=STSv1} are not STS records at all.
 *   <li>A field named {@code id} must be a valid sts-id. (The ABNF would read a bad one, such
 *       as {@code id=2026-10-04}, as an extension and then fail for want of an id: the same
 *       outcome, but we name the bad id.) Of several id fields the first counts, as RFC 8461
 *       §3.2 rules for the policy's fields (mox does the same).
 *   <li>Extension fields must match the ABNF's {@code sts-extension} and are then ignored.
 *   <li>Seen in the wild, tolerated: spaces or tabs at the very end of the record without a
 *       final {@code ;} (the ABNF allows them only around a {@code ;}).
 * </ul>
 */
public final class StsRecordParser {

    /** RFC 8461 §3.1 sts-version, case-sensitive ({@code %s}). */
    static final String VERSION = "v=STSv1";
    /** RFC 8461 §3.1 sts-ext-name. */
    private static final Pattern EXT_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,31}");
    /** RFC 8461 §3.1 sts-ext-value: printable US-ASCII except "=" and ";". */
    private static final Pattern EXT_VALUE = Pattern.compile("[\\x21-\\x3A\\x3C\\x3E-\\x7E]+");

    private StsRecordParser() {
    }

    /**
     * Reads the TXT RRset as it came off the wire (dnsjava's {@code getStringsAsByteArrays()}),
     * each byte one character: RFC 8461 §3.1 records MUST be US-ASCII, so any other byte fails
     * the ABNF. Prefer this to dnsjava's {@code getStrings()}, which escapes quotes, backslashes
     * and unprintable bytes ({@code \"}, {@code \001}), so that a control byte would read as
     * printable text.
     */
    public static Discovery parseWire(List<List<byte[]>> txtRecords) {
        return parse(txtRecords.stream()
                .map(strings -> strings.stream().map(b -> new String(b, StandardCharsets.ISO_8859_1)).toList())
                .toList());
    }

    /** Reads the TXT RRset at {@code _mta-sts.<domain>}: one list of character-strings per record. */
    public static Discovery parse(List<List<String>> txtRecords) {
        List<String> texts = txtRecords.stream().map(strings -> String.join("", strings)).toList();
        List<String> sts = texts.stream().filter(StsRecordParser::isStsRecord).toList();
        if (sts.size() > 1) {
            return new Discovery.Multiple(sts.size(), sts.size() + " TXT records begin with v=STSv1 "
                    + "(RFC 8461 §3.1: exactly one, or no policy)");
        }
        if (sts.isEmpty()) {
            return new Discovery.NoRecord(noRecordReason(texts));
        }
        return parseRecord(sts.get(0));
    }

    /** RFC 8461 §3.1 and erratum 6285: {@code v=STSv1} then the end, WSP or {@code ;}. */
    static boolean isStsRecord(String text) {
        return text.startsWith(VERSION)
                && (text.length() == VERSION.length() || isDelimiterStart(text.charAt(VERSION.length())));
    }

    /** Checks one STS record against the RFC 8461 §3.1 ABNF and takes its id. */
    static Discovery parseRecord(String text) {
        String rest = text.substring(VERSION.length());
        int delimiter = skipWsp(rest, 0);
        if (delimiter == rest.length()) {
            return invalid(text, "no fields after v=STSv1 (id= is required)");
        }
        if (rest.charAt(delimiter) != ';') {
            return invalid(text, "v=STSv1 must be followed by ';'");
        }
        String[] fields = rest.substring(delimiter + 1).split(";", -1);
        String id = null;
        String caseVariant = null;
        for (int i = 0; i < fields.length; i++) {
            String field = trimWsp(fields[i]);
            boolean last = i == fields.length - 1;
            if (field.isEmpty()) {
                if (last && i > 0) {
                    break; // the optional trailing ";"
                }
                return invalid(text, last ? "no fields after v=STSv1; (id= is required)"
                        : "empty field between two ';'");
            }
            String problem = fieldProblem(field);
            if (problem != null) {
                return invalid(text, problem);
            }
            String name = field.substring(0, field.indexOf('='));
            if (name.equals("id") && id == null) {
                id = field.substring(3);
            } else if (!name.equals("id") && name.equalsIgnoreCase("id")) {
                caseVariant = name;
            }
        }
        if (id == null) {
            return invalid(text, "no id field (id= is required)"
                    + (caseVariant == null ? ""
                            : "; '" + caseVariant + "=' is not 'id=': field names are case-sensitive"));
        }
        return new Discovery.Found(new StsRecord(id, text));
    }

    /** Why one {@code name=value} field breaks the ABNF, or null when it does not. */
    private static String fieldProblem(String field) {
        int equals = field.indexOf('=');
        if (equals < 0) {
            return "field '" + field + "' is not name=value";
        }
        String name = field.substring(0, equals);
        String value = field.substring(equals + 1);
        if (name.endsWith(" ") || name.endsWith("\t") || value.startsWith(" ") || value.startsWith("\t")) {
            return "whitespace around '=' in field '" + field + "'";
        }
        if (!EXT_NAME.matcher(name).matches()) {
            return "field name '" + name + "' is not 1 to 32 letters, digits, '_', '-' or '.' "
                    + "starting with a letter or digit";
        }
        if (name.equals("id")) {
            return idProblem(value);
        }
        if (!EXT_VALUE.matcher(value).matches()) {
            return value.isEmpty() ? "field '" + name + "' has an empty value"
                    : "value '" + value + "' of field '" + name + "' has a character other than printable US-ASCII "
                            + "without '=', ';' and spaces";
        }
        return null;
    }

    /** RFC 8461 §3.1 sts-id: {@code 1*32(ALPHA / DIGIT)}. */
    private static String idProblem(String id) {
        if (id.isEmpty()) {
            return "id is empty (1 to 32 letters and digits)";
        }
        if (id.length() > 32) {
            return "id is " + id.length() + " characters long, at most 32";
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (!(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9')) {
                return "id '" + id + "' has '" + c + "': only letters and digits are allowed";
            }
        }
        return null;
    }

    private static String noRecordReason(List<String> texts) {
        if (texts.isEmpty()) {
            return "no TXT records";
        }
        String reason = "none of the " + texts.size() + " TXT records begins with v=STSv1";
        for (String text : texts) {
            if (text.toLowerCase(Locale.ROOT).contains("v=stsv1")) {
                return reason + "; discarded '" + text
                        + "': a record must begin with exactly v=STSv1 (case-sensitive), then ';'";
            }
        }
        return reason;
    }

    private static Discovery invalid(String text, String problem) {
        return new Discovery.Invalid(problem + " in '" + text + "'");
    }

    private static boolean isDelimiterStart(char c) {
        return c == ';' || c == ' ' || c == '\t';
    }

    private static int skipWsp(String s, int from) {
        int i = from;
        while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t')) {
            i++;
        }
        return i;
    }

    private static String trimWsp(String s) {
        int start = skipWsp(s, 0);
        int end = s.length();
        while (end > start && (s.charAt(end - 1) == ' ' || s.charAt(end - 1) == '\t')) {
            end--;
        }
        return s.substring(start, end);
    }
}
