package relay.sts.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import relay.core.mail.Domain;

class MxPatternTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            # RFC 8461 §3.2: sts-policy-mx-value = ["*."] Domain
            mail.example.com            | mail.example.com
            *.example.net               | *.example.net
            backupmx.example.com        | backupmx.example.com
            mx                          | mx
            *.com                       | *.com
            mx-1.example.com            | mx-1.example.com
            # RFC 8461 §4.1 with RFC 6125 §6.4.1: compared case-insensitively, held in lower case
            MAIL.Example.COM            | mail.example.com
            *.EXAMPLE.NET               | *.example.net
            # RFC 8461 §3.2 (STS-38): A-labels as published
            mx.xn--bcher-kva.example    | mx.xn--bcher-kva.example
            *.xn--bcher-kva.example     | *.xn--bcher-kva.example
            # seen in the wild: U-labels, converted to A-labels (the RFC says MUST NOT publish them)
            mx.bücher.example           | mx.xn--bcher-kva.example
            *.bücher.example            | *.xn--bcher-kva.example
            例子.测试                    | xn--fsqu00a.xn--0zwm56d
            # seen in the wild: a trailing dot, as in a zone file
            mail.example.com.           | mail.example.com
            *.example.net.              | *.example.net
            """)
    void parses(String text, String canonical) {
        MxPattern pattern = MxPattern.parse(text);

        assertThat(pattern).hasToString(canonical);
        assertThat(pattern.wildcard()).isEqualTo(canonical.startsWith("*."));
        assertThat(MxPattern.parse(canonical)).isEqualTo(pattern);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            # RFC 8461 §3.2 (STS-36): each MX MUST have its own mx: key
            'a.example, b.example'      | one host per mx line
            'a.example,b.example'       | one host per mx line
            'a.example b.example'       | one host per mx line
            # RFC 8461 §4.1 (STS-37): '*' only as the whole left-most label
            *example.net                | '*' must be a whole label followed by '.'
            *                           | '*' must be a whole label followed by '.'
            a.*.example.net             | '*' is allowed only as the whole left-most label
            *.*.example.net             | '*' is allowed only as the whole left-most label
            mx*.example.net             | '*' is allowed only as the whole left-most label
            *.                          | no domain after '*.'
            # RFC 8461 §3.2: a Domain of RFC 5321 §4.1.2, not an address (STS-37)
            192.0.2.1                   | an IP address
            *.192.0.2.1                 | an IP address
            2001:db8::25                | an IP address
            [192.0.2.1]                 | an address literal
            [IPv6:2001:db8::25]         | an address literal
            1.2.3                       | the last label '3' is all digits
            192.0.2.1.                  | the last label '1' is all digits
            # RFC 5321 §4.1.2: letters, digits and hyphens, no empty labels
            mail_1.example.com          | invalid domain 'mail_1.example.com'
            -mail.example.com           | invalid domain '-mail.example.com'
            mail..example.com           | invalid domain 'mail..example.com'
            mail.example.com..          | invalid domain 'mail.example.com..'
            # seen in the wild: a port, a Postfix-style parent-domain pattern, an empty value
            mail.example.com:25         | ':' in a host name
            .example.com                | starts with '.'
            ''                          | empty
            # seen in the wild: U-labels whose A-label IDNA2003 and IDNA2008 disagree on
            mx.straße.example           | 'ß' has different A-labels
            """)
    void rejects(String text, String reason) {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> MxPattern.parse(text))
                .withMessageStartingWith("mx '" + text + "': ")
                .withMessageContaining(reason);
    }

    @ParameterizedTest(name = "{0} vs {1}: {2}")
    @CsvSource(delimiter = '|', textBlock = """
            # RFC 8461 §4.1 (STS-48): the RFC's own examples
            *.example.com               | mail.example.com              | true
            *.example.com               | example.com                   | false
            *.example.com               | foo.bar.example.com           | false
            # RFC 8461 §4.1: a name without a wildcard matches only itself
            mail.example.com            | mail.example.com              | true
            mail.example.com            | mail2.example.com             | false
            mail.example.com            | example.com                   | false
            mail.example.com            | a.mail.example.com            | false
            mail.example.com            | mail.example                  | false
            # RFC 6125 §6.4.1 (STS-49): case-insensitive; the trailing dot of DNS answers ignored
            mail.example.com            | MAIL.Example.COM.             | true
            mail.example.com            | mail.example.com.             | true
            MAIL.EXAMPLE.COM            | mail.example.com              | true
            *.example.com               | MX1.EXAMPLE.COM.              | true
            # RFC 6125 §6.4.3: the wildcard stands for a whole label, on a label boundary
            *.example.com               | mailexample.com               | false
            *.example.com               | mail.notexample.com           | false
            *.example.com               | mail.example.com.evil.test    | false
            *.example.com               | .example.com                  | false
            example.com                 | example.com.evil.test         | false
            *.com                       | example.com                   | true
            *.com                       | mail.example.com              | false
            # RFC 8461 §3.2 and RFC 6125 §6.4.2 (STS-38): compared as A-labels
            mx.xn--bcher-kva.example    | MX.XN--BCHER-KVA.EXAMPLE.     | true
            mx.bücher.example           | mx.xn--bcher-kva.example      | true
            *.bücher.example            | mx1.xn--bcher-kva.example     | true
            mx.xn--bcher-kva.example    | mx.bücher.example             | true
            mx.xn--bcher-kva.example    | mx.bucher.example             | false
            # RFC 5321 §4.1.3: an address literal is no MX host name
            *.example.com               | [192.0.2.1]                   | false
            # RFC 8461 §4.1 with RFC 5321 §5.1 (STS-51): under an implicit MX the MX host is the domain itself
            example.org                 | example.org                   | true
            *.example.org               | example.org                   | false
            """)
    void matches(String pattern, String host, boolean expected) {
        // a raw Domain, as a caller might build it from a DNS answer without Domain.parse
        assertThat(MxPattern.parse(pattern).matches(new Domain(host))).isEqualTo(expected);
    }

    /** RFC 8461 §3.2, the example policy's patterns. */
    private static final Policy EXAMPLE = new Policy(Mode.ENFORCE, MaxAge.of(604800),
            List.of(MxPattern.parse("mail.example.com"), MxPattern.parse("*.example.net"),
                    MxPattern.parse("backupmx.example.com")),
            List.of());

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', textBlock = """
            # RFC 8461 §4 (STS-47): any one pattern is enough
            mail.example.com            | true
            backupmx.example.com        | true
            mx1.example.net             | true
            MX2.Example.NET.            | true
            # RFC 8461 §4.1: none matches
            example.net                 | false
            a.b.example.net             | false
            example.com                 | false
            evil.example.com            | false
            mail.example.com.evil.test  | false
            """)
    void policyPermits(String host, boolean expected) {
        assertThat(EXAMPLE.permits(new Domain(host))).isEqualTo(expected);
        assertThat(EXAMPLE.permits(Domain.parse(host))).isEqualTo(expected);
    }
}
