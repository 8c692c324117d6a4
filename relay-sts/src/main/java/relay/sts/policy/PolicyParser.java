package relay.sts.policy;

import java.util.List;

/**
 * Parses an MTA-STS policy body (RFC 8461 §3.2). Pure: no I/O, no clock; the fetcher has already
 * checked the status, the media type and the size.
 *
 * <p>The grammar is the RFC's ABNF, strictly, with these decisions (each pinned by a row of
 * {@code PolicyParserTest}):
 * <ul>
 *   <li>Lines end with LF, CRLF or any mix (erratum 6253, STS-29).
 *   <li>{@code version: STSv1}, {@code mode} and {@code max_age} are required, anywhere in the
 *       body (STS-30); {@code mx} at least once unless the mode is {@code none} (STS-35).
 *   <li>Keys and the version and mode values are case-sensitive (STS-31, STS-41):
 *       {@code Mode: enforce} is an extension field, ignored. The first line named
 *       {@code version}, {@code mode} or {@code max_age} is that field: a bad value there
 *       rejects the policy, and every later line of the same name is ignored (STS-40).
 *   <li>{@code max_age} above 31557600 is clamped, not rejected (STS-33, see {@link MaxAge}).
 *   <li>One bad {@code mx} line rejects the whole policy (STS-36/37): {@code mx: a, b}, IP
 *       addresses, partial or inner wildcards. Skipping the line instead would enforce a policy
 *       the publisher did not write and make the MX it meant unreachable; a rejected policy
 *       leaves a cached valid one in force, and is reported as {@code sts-policy-invalid} so the
 *       publisher learns (as mox does).
 *   <li>Unknown fields are ignored (STS-39) once they pass the extension syntax; a line that is
 *       not a field at all (no colon, space before the colon or before the key, control
 *       characters) rejects the policy.
 *   <li>Seen in the wild, tolerated: a UTF-8 byte order mark at the start, blank or
 *       whitespace-only lines, tabs around values, trailing whitespace (which the ABNF allows),
 *       U-labels in {@code mx} (converted to A-labels, STS-38).
 * </ul>
 */
public final class PolicyParser {

    private PolicyParser() {
    }

    /** Parses a body as served: strict UTF-8. */
    public static PolicyResult parse(byte[] body) {
        return PolicyText.decode(body, PolicyParser::parse);
    }

    /** Parses a body already decoded. */
    public static PolicyResult parse(String body) {
        List<String> lines = PolicyText.lines(body);
        PolicyFields fields = new PolicyFields();
        for (int i = 0; i < lines.size(); i++) {
            String problem = fields.take(lines.get(i));
            if (problem != null) {
                return new PolicyResult.Rejected(i + 1, problem);
            }
        }
        return fields.finish(lines);
    }
}
