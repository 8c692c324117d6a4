package relay.sts.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PolicyParserTest {

    /** RFC 8461 §3.2, the example policy, verbatim. */
    private static final String[] RFC_EXAMPLE = {
        "version: STSv1", "mode: enforce", "mx: mail.example.com", "mx: *.example.net",
        "mx: backupmx.example.com", "max_age: 604800"};
    private static final String RFC_EXAMPLE_MX = "mail.example.com *.example.net backupmx.example.com";
    /** RFC 8460 Appendix B, the policy-string of the example report. */
    private static final String[] RFC8460_EXAMPLE = {
        "version: STSv1", "mode: testing", "mx: *.mail.company-y.example", "max_age: 86400"};

    /** Body, mode, max_age in effect, whether it was clamped, the mx patterns (space-separated). */
    static Stream<Arguments> valid() {
        return Stream.of(
                // RFC 8461 §3.2: the example policy, verbatim, and RFC 8460 Appendix B's
                arguments(lf(RFC_EXAMPLE), "enforce", 604800L, false, RFC_EXAMPLE_MX),
                arguments(lf(RFC8460_EXAMPLE), "testing", 86400L, false, "*.mail.company-y.example"),
                // RFC 8461 §3.2 sts-policy-term = LF / CRLF (STS-29, erratum 6253)
                arguments(crlf(RFC_EXAMPLE), "enforce", 604800L, false, RFC_EXAMPLE_MX),
                arguments(body("version: STSv1\r\nmode: enforce\nmx: a.example\r\nmax_age: 1\n"), "enforce", 1L, false,
                        "a.example"),
                arguments(body("version: STSv1\nmode: testing\r\nmx: a.example\nmax_age: 2"), "testing", 2L, false,
                        "a.example"),
                arguments(body(String.join("\r\n", RFC_EXAMPLE)), "enforce", 604800L, false, RFC_EXAMPLE_MX),
                // RFC 8461 §3.2 (STS-30): the fields come in any order, version included
                arguments(lf("mode: enforce", "mx: a.example", "max_age: 86400", "version: STSv1"), "enforce", 86400L,
                        false, "a.example"),
                arguments(lf("max_age: 86400", "mx: b.example", "version: STSv1", "mx: a.example", "mode: testing"),
                        "testing", 86400L, false, "b.example a.example"),
                // RFC 8461 §3.2 sts-policy-field-delim = ":" *WSP, then *WSP at the end of the line (STS-41)
                arguments(lf("version:STSv1", "mode:enforce", "mx:a.example", "max_age:86400"), "enforce", 86400L,
                        false, "a.example"),
                arguments(lf("version:\tSTSv1", "mode:\t\tenforce", "mx: \ta.example", "max_age:   86400"), "enforce",
                        86400L, false, "a.example"),
                arguments(lf("version: STSv1   ", "mode: enforce\t", "mx: a.example \t ", "max_age: 86400 "), "enforce",
                        86400L, false, "a.example"),
                // RFC 8461 §3.2 sts-policy-mode-value; mx optional in mode none (STS-35)
                arguments(lf("version: STSv1", "mode: none", "max_age: 86400"), "none", 86400L, false, ""),
                arguments(lf("version: STSv1", "mode: none", "mx: a.example", "max_age: 86400"), "none", 86400L, false,
                        "a.example"),
                // RFC 8461 §3.2 sts-policy-max-age-value = 1*10DIGIT (STS-32); 0: applies, not cached
                arguments(policy("enforce", "0"), "enforce", 0L, false, "mx.example"),
                arguments(policy("enforce", "1"), "enforce", 1L, false, "mx.example"),
                arguments(policy("enforce", "31557600"), "enforce", 31557600L, false, "mx.example"),
                arguments(policy("enforce", "0000086400"), "enforce", 86400L, false, "mx.example"),
                // erratum 7282 (STS-33, decided): above 31557600 the policy is valid and clamped
                arguments(policy("enforce", "31557601"), "enforce", 31557600L, true, "mx.example"),
                arguments(policy("enforce", "99999999"), "enforce", 31557600L, true, "mx.example"),
                arguments(policy("enforce", "9999999999"), "enforce", 31557600L, true, "mx.example"),
                // RFC 8461 §3.2 (STS-40): of a repeated field other than mx, only the first counts
                arguments(lf("version: STSv1", "mode: enforce", "mode: none", "mx: a.example", "max_age: 1"), "enforce",
                        1L, false, "a.example"),
                arguments(lf("version: STSv1", "mode: testing", "mx: a.example", "max_age: 100", "max_age: 200"),
                        "testing", 100L, false, "a.example"),
                arguments(lf("version: STSv1", "version: STSv2", "mode: enforce", "mx: a.example", "max_age: 1"),
                        "enforce", 1L, false, "a.example"),
                arguments(lf("version: STSv1", "mode: enforce", "mode: Enforce", "mx: a.example", "max_age: 1"),
                        "enforce", 1L, false, "a.example"),
                arguments(lf("version: STSv1", "mode: enforce", "mx: a.example", "max_age: 1", "max_age: 86400s"),
                        "enforce", 1L, false, "a.example"),
                // RFC 8461 §3.2: mx repeats; each is kept, in order, even twice
                arguments(lf("version: STSv1", "mode: enforce", "mx: a.example", "mx: *.b.example", "mx: a.example",
                        "max_age: 1"), "enforce", 1L, false, "a.example *.b.example a.example"),
                // RFC 8461 §3.2 (STS-39): unknown fields that fit sts-policy-extension are ignored
                arguments(lf("version: STSv1", "foo_bar: baz", "mode: enforce", "mx: a.example", "max_age: 1"),
                        "enforce", 1L, false, "a.example"),
                arguments(lf("version: STSv1", "mode: enforce", "x.y-z: a b  c", "mx: a.example", "max_age: 1"),
                        "enforce", 1L, false, "a.example"),
                arguments(lf("version: STSv1", "mode: enforce", "note: déjà vu ✓", "mx: a.example", "max_age: 1"),
                        "enforce", 1L, false, "a.example"),
                arguments(lf("version: STSv1", "mode: enforce", "n".repeat(32) + ": v", "mx: a.example", "max_age: 1"),
                        "enforce", 1L, false, "a.example"),
                arguments(lf("version: STSv1", "mode: enforce", "url: https://a.example:443/x", "mx: a.example",
                        "max_age: 1"), "enforce", 1L, false, "a.example"),
                // RFC 8461 §3.2 (STS-41): names are case-sensitive, so "Mode" is an extension beside "mode"
                arguments(lf("version: STSv1", "Mode: none", "mode: enforce", "mx: a.example", "max_age: 1"), "enforce",
                        1L, false, "a.example"),
                arguments(lf("version: STSv1", "mode: enforce", "MX: *.evil.example", "mx: a.example", "max_age: 1"),
                        "enforce", 1L, false, "a.example"),
                // RFC 8461 §3.2 (STS-38): mx compared in A-labels, in lower case
                arguments(lf("version: STSv1", "mode: enforce", "mx: MX.XN--BCHER-KVA.EXAMPLE", "max_age: 1"),
                        "enforce", 1L, false, "mx.xn--bcher-kva.example"),
                // seen in the wild: U-label mx patterns (Stalwart 0.16.18), converted
                arguments(lf("version: STSv1", "mode: enforce", "mx: mx.bücher.example", "mx: *.bücher.example",
                        "max_age: 1"), "enforce", 1L, false, "mx.xn--bcher-kva.example *.xn--bcher-kva.example"),
                // seen in the wild: a UTF-8 byte order mark
                arguments(body("\uFEFF" + lf(RFC_EXAMPLE).text()), "enforce", 604800L, false, RFC_EXAMPLE_MX),
                arguments(body("\uFEFF" + crlf(RFC_EXAMPLE).text()), "enforce", 604800L, false, RFC_EXAMPLE_MX),
                // seen in the wild: blank and whitespace-only lines, anywhere
                arguments(lf("", "version: STSv1", "", "mode: enforce", "mx: a.example", "max_age: 1", "", ""),
                        "enforce", 1L, false, "a.example"),
                arguments(crlf("version: STSv1", "   ", "mode: enforce", "\t", "mx: a.example", "max_age: 1", ""),
                        "enforce", 1L, false, "a.example"),
                // seen in the wild: tabs, trailing blanks, no final line end, CRLF and LF in one body
                arguments(body("version:\tSTSv1\t\r\nmode:\tenforce\nmx:\ta.example  \r\nmax_age:\t604800"), "enforce",
                        604800L, false, "a.example"),
                // seen in the wild: a trailing dot on mx
                arguments(lf("version: STSv1", "mode: testing", "mx: mail.example.com.", "max_age: 1"), "testing", 1L,
                        false, "mail.example.com"),
                // seen in the wild: mode none to retire a policy, with only the required fields
                arguments(lf("version: STSv1", "mode: none", "max_age: 0"), "none", 0L, false, ""));
    }

    @ParameterizedTest(name = "{0} -> {1}, max_age {2}")
    @MethodSource("valid")
    void parses(Body body, String mode, long maxAge, boolean clamped, String mx) {
        Policy policy = parsed(PolicyParser.parse(body.text()));

        assertThat(policy.mode().token()).isEqualTo(mode);
        assertThat(policy.maxAge().seconds()).isEqualTo(maxAge);
        assertThat(policy.maxAge().clamped()).isEqualTo(clamped);
        assertThat(policy.maxAge().duration().toSeconds()).isEqualTo(maxAge);
        assertThat(policy.mx()).extracting(MxPattern::toString)
                .containsExactly(mx.isEmpty() ? new String[0] : mx.split(" "));
        // the store keeps the lines and parses them again on load: the same policy
        String stored = policy.lines().stream().map(line -> line + "\n").collect(Collectors.joining());
        assertThat(PolicyParser.parse(stored)).isEqualTo(new PolicyResult.Parsed(policy));
        // the bytes as served parse the same as the text
        assertThat(PolicyParser.parse(body.text().getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(new PolicyResult.Parsed(policy));
    }

    /** Body, the line at fault (0: the policy as a whole), a fragment of the reason. */
    static Stream<Arguments> invalid() {
        return Stream.of(
                // RFC 8461 §3.2: version, mode and max_age are required
                arguments(lf("mode: enforce", "mx: a.example", "max_age: 1"), 0, "no 'version: STSv1' line"),
                arguments(lf("version: STSv1", "mx: a.example", "max_age: 1"), 0, "no 'mode' line"),
                arguments(lf("version: STSv1", "mode: enforce", "mx: a.example"), 0, "no 'max_age' line"),
                arguments(body(""), 0, "the policy is empty"),
                arguments(body("\n\n  \n"), 0, "the policy is empty"),
                arguments(body("\uFEFF"), 0, "the policy is empty"),
                // RFC 8461 §3.2 (STS-35): mx at least once unless mode is none
                arguments(lf("version: STSv1", "mode: enforce", "max_age: 1"), 0, "mode enforce without an mx line"),
                arguments(lf("version: STSv1", "mode: testing", "max_age: 1"), 0, "mode testing without an mx line"),
                // RFC 8461 §3.2 (STS-30): version: STSv1, case-sensitive; the first version line counts
                arguments(policy("STSv2", "enforce", "1"), 1, "version 'STSv2' is not STSv1"),
                arguments(policy("stsv1", "enforce", "1"), 1, "version 'stsv1' is not STSv1"),
                arguments(policy("STSv1.0", "enforce", "1"), 1, "version 'STSv1.0' is not STSv1"),
                arguments(policy("", "enforce", "1"), 1, "version '' is not STSv1"),
                arguments(lf("version: STSv2", "version: STSv1", "mode: none", "max_age: 1"), 1, "'STSv2'"),
                // RFC 8461 §3.2 (STS-31): mode is enforce, testing or none, case-sensitive
                arguments(policy("STSv1", "Enforce", "1"), 2, "mode 'Enforce' is not enforce, testing or none"),
                arguments(policy("STSv1", "ENFORCE", "1"), 2, "mode 'ENFORCE'"),
                arguments(policy("STSv1", "enforcing", "1"), 2, "mode 'enforcing'"),
                arguments(policy("STSv1", "enforce testing", "1"), 2, "mode 'enforce testing'"),
                arguments(policy("STSv1", "", "1"), 2, "mode '' is not"),
                arguments(lf("version: STSv1", "mode: Testing", "mode: testing", "mx: a.example", "max_age: 1"), 2,
                        "mode 'Testing'"),
                // RFC 8461 §3.2 (STS-41): "Mode" is another field, so mode is missing
                arguments(lf("version: STSv1", "Mode: enforce", "mx: a.example", "max_age: 1"), 0,
                        "no 'mode' line (RFC 8461 §3.2: required); 'Mode' is another field"),
                arguments(lf("Version: STSv1", "mode: enforce", "mx: a.example", "max_age: 1"), 0,
                        "'Version' is another field"),
                arguments(lf("version: STSv1", "mode: enforce", "MX: a.example", "max_age: 1"), 0,
                        "mode enforce without an mx line"),
                // RFC 8461 §3.2 (STS-32): max_age = 1*10DIGIT
                arguments(policy("STSv1", "enforce", "-1"), 3, "max_age '-1' is not a number of seconds"),
                arguments(policy("STSv1", "enforce", "86400s"), 3, "max_age '86400s'"),
                arguments(policy("STSv1", "enforce", "1e5"), 3, "max_age '1e5'"),
                arguments(policy("STSv1", "enforce", "+86400"), 3, "max_age '+86400'"),
                arguments(policy("STSv1", "enforce", "86 400"), 3, "max_age '86 400'"),
                arguments(policy("STSv1", "enforce", "86400.0"), 3, "max_age '86400.0'"),
                arguments(policy("STSv1", "enforce", "0x15180"), 3, "max_age '0x15180'"),
                arguments(policy("STSv1", "enforce", "８６４００"), 3, "max_age '８６４００'"),
                arguments(policy("STSv1", "enforce", ""), 3, "max_age '' is not a number"),
                arguments(policy("STSv1", "enforce", "10000000000"), 3,
                        "max_age '10000000000' has 11 digits, at most 10"),
                arguments(policy("STSv1", "enforce", "99999999999999999999"), 3, "has 20 digits"),
                // RFC 8461 §3.2 (STS-41): key ":" *WSP value; no blank before the colon or the key
                arguments(lf("version: STSv1", "mode : enforce", "mx: a.example", "max_age: 1"), 2,
                        "whitespace between 'mode' and ':'"),
                arguments(lf("version: STSv1", "mode\t: enforce", "mx: a.example", "max_age: 1"), 2,
                        "whitespace between 'mode' and ':'"),
                arguments(lf("version: STSv1", " mode: enforce", "mx: a.example", "max_age: 1"), 2,
                        "whitespace before the field name"),
                arguments(lf("version: STSv1", "mode: enforce", "\tmx: a.example", "max_age: 1"), 3,
                        "whitespace before the field name"),
                arguments(lf("version: STSv1", "mode enforce", "mx: a.example", "max_age: 1"), 2,
                        "no ':' in 'mode enforce'"),
                arguments(lf("version= STSv1", "mode: enforce", "mx: a.example", "max_age: 1"), 1,
                        "no ':' in 'version= STSv1'"),
                // RFC 8461 §3.2 sts-policy-ext-name and sts-policy-ext-value
                arguments(lf("version: STSv1", "_x: 1", "mode: enforce", "mx: a.example", "max_age: 1"), 2,
                        "'_x' is not a field name"),
                arguments(lf("version: STSv1", "my field: 1", "mode: enforce", "mx: a.example", "max_age: 1"), 2,
                        "'my field' is not a field name"),
                arguments(lf("version: STSv1", "n".repeat(33) + ": 1", "mode: none", "max_age: 1"), 2,
                        "is not a field name (1 to 32"),
                arguments(lf("version: STSv1", ": 1", "mode: none", "max_age: 1"), 2, "'' is not a field name"),
                arguments(lf("version: STSv1", "foo:", "mode: none", "max_age: 1"), 2, "field 'foo' has no value"),
                arguments(lf("version: STSv1", "foo:   ", "mode: none", "max_age: 1"), 2, "field 'foo' has no value"),
                arguments(lf("version: STSv1", "foo: a\tb", "mode: none", "max_age: 1"), 2,
                        "a tab inside the value of 'foo'"),
                // RFC 8461 §3.2: no control characters; a CR only before LF
                arguments(lf("version: STSv1", "mode: enforce\u0000", "mx: a.example", "max_age: 1"), 2,
                        "control character U+0000"),
                arguments(lf("version: STSv1", "mode: none", "max_age: 1\u007f"), 3, "control character U+007F"),
                arguments(body("version: STSv1\rmode: none\rmax_age: 1\r"), 1, "a CR inside the line"),
                arguments(body("version: STSv1\nmode: none\r\r\nmax_age: 1\n"), 2, "a CR inside the line"),
                // RFC 8461 §3.2 (STS-36, decided): one host per mx line, or the policy is invalid
                arguments(lf("version: STSv1", "mode: enforce", "mx: a.example, b.example", "max_age: 1"), 3,
                        "mx 'a.example, b.example': more than one host: one host per mx line"),
                arguments(lf("version: STSv1", "mode: enforce", "mx: a.example b.example", "max_age: 1"), 3,
                        "one host per mx line"),
                // RFC 8461 §3.2, §4.1 (STS-37): ["*."] Domain, the wildcard a whole left-most label
                arguments(lf("version: STSv1", "mode: enforce", "mx: *example.net", "max_age: 1"), 3,
                        "mx '*example.net': '*' must be a whole label"),
                arguments(lf("version: STSv1", "mode: enforce", "mx: a.*.example.net", "max_age: 1"), 3,
                        "mx 'a.*.example.net': '*' is allowed only as the whole left-most label"),
                arguments(lf("version: STSv1", "mode: enforce", "mx: *", "max_age: 1"), 3, "mx '*'"),
                arguments(lf("version: STSv1", "mode: enforce", "mx:", "max_age: 1"), 3, "mx '': empty"),
                arguments(lf("version: STSv1", "mode: enforce", "mx: mail_1.example", "max_age: 1"), 3,
                        "invalid domain 'mail_1.example'"),
                // decided (STS-36): one bad mx among good ones still rejects the policy
                arguments(lf("version: STSv1", "mode: enforce", "mx: a.example", "mx: *.*.example", "mx: b.example",
                        "max_age: 1"), 4, "mx '*.*.example'"),
                arguments(lf("version: STSv1", "mode: none", "mx: bad,example", "max_age: 1"), 3,
                        "one host per mx line"),
                // seen in the wild: IP literals in mx (postfix-tlspol #70)
                arguments(lf("version: STSv1", "mode: enforce", "mx: 192.0.2.1", "max_age: 1"), 3,
                        "mx '192.0.2.1': an IP address"),
                arguments(lf("version: STSv1", "mode: enforce", "mx: [192.0.2.1]", "max_age: 1"), 3,
                        "mx '[192.0.2.1]': an address literal"),
                arguments(lf("version: STSv1", "mode: enforce", "mx: 2001:db8::25", "max_age: 1"), 3,
                        "mx '2001:db8::25': an IP address"),
                // seen in the wild: a port, a Postfix-style ".domain", an ambiguous U-label
                arguments(lf("version: STSv1", "mode: enforce", "mx: mail.example.com:25", "max_age: 1"), 3,
                        "':' in a host name"),
                arguments(lf("version: STSv1", "mode: enforce", "mx: .example.com", "max_age: 1"), 3,
                        "starts with '.'"),
                arguments(lf("version: STSv1", "mode: enforce", "mx: mx.straße.example", "max_age: 1"), 3,
                        "'ß' has different A-labels under IDNA2003 and IDNA2008"),
                // seen in the wild: an HTML error page served as text/plain, a JSON body
                arguments(lf("<!DOCTYPE html>", "<html><body>Not Found</body></html>"), 1,
                        "no ':' in '<!DOCTYPE html>'"),
                arguments(body("{\"version\": \"STSv1\", \"mode\": \"enforce\"}"), 1,
                        "'{\"version\"' is not a field name"),
                // seen in the wild: the TXT record served as the policy
                arguments(body("v=STSv1; id=20160831085700Z;"), 1, "no ':' in 'v=STSv1; id=20160831085700Z;'"),
                // line numbers count every line: blank ones, and after a byte order mark
                arguments(body("\uFEFF\n\nversion: STSv1\r\n\r\nmode: sometimes\n"), 5, "mode 'sometimes'"));
    }

    @ParameterizedTest(name = "{0} -> line {1}: {2}")
    @MethodSource("invalid")
    void rejects(Body body, int line, String reason) {
        PolicyResult result = PolicyParser.parse(body.text());

        assertThat(result).isInstanceOfSatisfying(PolicyResult.Rejected.class, rejected -> {
            assertThat(rejected.reason()).contains(reason);
            assertThat(rejected.line()).as(rejected.describe()).isEqualTo(line);
            assertThat(rejected.describe()).startsWith(line == 0 ? "policy: " : "line " + line + ": ");
        });
        assertThat(PolicyParser.parse(body.text().getBytes(StandardCharsets.UTF_8))).isEqualTo(result);
    }

    /** Body as served (bytes), the line at fault, a fragment of the reason. */
    static Stream<Arguments> notUtf8() {
        return Stream.of(
                // RFC 8461 §3.2: the policy is UTF-8 (RFC 3629), strictly
                arguments(bytes("version: STSv1\nmode: none\nnote: caf\u00e9\n", 0xE9), 3, "not UTF-8: byte 0xE9"),
                arguments(bytes("\u00ff\nversion: STSv1\n", 0xFF), 1, "byte 0xFF at offset 0"),
                // RFC 3629 §3: overlong forms and surrogates are not UTF-8
                arguments(bytes("version: STSv1\nx: \u00c0\u00af\n", 0xC0, 0xAF), 2, "byte 0xC0"),
                arguments(bytes("version: STSv1\nx: \u00ed\u00a0\u0080\n", 0xED, 0xA0, 0x80), 2, "byte 0xED"),
                // a sequence cut off at the end of the body
                arguments(bytes("version: STSv1\nmode: none\nx: \u00e2\u0082", 0xE2, 0x82), 3, "not UTF-8"));
    }

    @ParameterizedTest(name = "{0} -> line {1}: {2}")
    @MethodSource("notUtf8")
    void rejectsBytesThatAreNotUtf8(Body body, int line, String reason) {
        PolicyResult result = PolicyParser.parse(body.text().getBytes(StandardCharsets.ISO_8859_1));

        assertThat(result).isInstanceOfSatisfying(PolicyResult.Rejected.class, rejected -> {
            assertThat(rejected.reason()).contains(reason);
            assertThat(rejected.line()).isEqualTo(line);
        });
    }

    /** Body, the lines a TLS report shows (RFC 8460 §4.4 policy-string), "|"-separated. */
    static Stream<Arguments> lines() {
        return Stream.of(
                // RFC 8460 §4.4 and Appendix B: one element per line, in order
                arguments(lf(RFC8460_EXAMPLE), String.join("|", RFC8460_EXAMPLE)),
                arguments(crlf(RFC8460_EXAMPLE), String.join("|", RFC8460_EXAMPLE)),
                arguments(body(String.join("\n", RFC8460_EXAMPLE)), String.join("|", RFC8460_EXAMPLE)),
                // kept as served: blank lines, blanks around values, unknown fields, U-labels
                arguments(lf("version: STSv1", "", "mode: none  ", "x: y", "max_age: 1", "mx: bücher.example"),
                        "version: STSv1||mode: none  |x: y|max_age: 1|mx: bücher.example"),
                // without the byte order mark and the line ends, CR included
                arguments(body("\uFEFFversion: STSv1\r\nmode: none\nmax_age: 1\r\n\r\n"),
                        "version: STSv1|mode: none|max_age: 1|"));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("lines")
    void keepsTheLines(Body body, String lines) {
        Policy policy = parsed(PolicyParser.parse(body.text()));

        assertThat(policy.lines()).containsExactlyElementsOf(Arrays.asList(lines.split("\\|", -1)));
    }

    private static Policy parsed(PolicyResult result) {
        if (result instanceof PolicyResult.Rejected rejected) {
            return fail("rejected, " + rejected.describe());
        }
        return ((PolicyResult.Parsed) result).policy();
    }

    /** A four-line policy with mx: mx.example. */
    private static Body policy(String version, String mode, String maxAge) {
        return lf("version: " + version, "mode: " + mode, "max_age: " + maxAge, "mx: mx.example");
    }

    private static Body policy(String mode, String maxAge) {
        return policy("STSv1", mode, maxAge);
    }

    private static Body lf(String... lines) {
        return body(String.join("\n", lines) + "\n");
    }

    private static Body crlf(String... lines) {
        return body(String.join("\r\n", lines) + "\r\n");
    }

    private static Body body(String text) {
        return new Body(text);
    }

    /** Text whose chars are bytes (ISO-8859-1), checked against the bytes it must hold. */
    private static Body bytes(String latin1, int... expected) {
        byte[] all = latin1.getBytes(StandardCharsets.ISO_8859_1);
        for (int b : expected) {
            assertThat(new String(all, StandardCharsets.ISO_8859_1)).contains(String.valueOf((char) b));
        }
        return new Body(latin1);
    }

    /** A policy body, shown in test names with its line ends and byte order mark visible. */
    record Body(String text) {
        @Override
        public String toString() {
            return "\"" + text.replace("\uFEFF", "<BOM>").replace("\r", "\\r").replace("\n", "\\n")
                    .replace("\t", "\\t") + "\"";
        }
    }
}
