package relay.core.mail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class DomainTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            # RFC 5321 §2.3.5: labels of letters, digits and hyphens; one canonical form, lower case
            example.com              | example.com
            EXAMPLE.Com              | example.com
            mx-1.example.com         | mx-1.example.com
            a.b.c.d.example          | a.b.c.d.example
            123.example              | 123.example
            localhost                | localhost
            # seen in the wild: the absolute form with a trailing dot
            example.com.             | example.com
            MX.Example.COM.          | mx.example.com
            # RFC 5890 §2.3.2: U-labels become A-labels, A-labels stay as they are
            bücher.example           | xn--bcher-kva.example
            BÜCHER.Example           | xn--bcher-kva.example
            münchen.de               | xn--mnchen-3ya.de
            例子.测试                 | xn--fsqu00a.xn--0zwm56d
            xn--bcher-kva.example    | xn--bcher-kva.example
            # RFC 5321 §4.1.3 address literals, in one canonical form (the tag is case-insensitive, RFC 5234 §2.3)
            [192.0.2.1]              | [192.0.2.1]
            [0.0.0.0]                | [0.0.0.0]
            [255.255.255.255]        | [255.255.255.255]
            [IPv6:2001:db8::1]       | [IPv6:2001:db8:0:0:0:0:0:1]
            [ipv6:2001:DB8::1]       | [IPv6:2001:db8:0:0:0:0:0:1]
            [IPv6:::1]               | [IPv6:0:0:0:0:0:0:0:1]
            [IPv6:2001:db8:0:0:0:0:192.0.2.1] | [IPv6:2001:db8:0:0:0:0:c000:201]
            # RFC 5321 §4.1.3 IPv6v4-comp: an IPv4-mapped address stays an IPv6 literal
            [IPv6:::ffff:192.0.2.1]  | [IPv6:::ffff:192.0.2.1]
            [IPv6:::FFFF:c000:0201]  | [IPv6:::ffff:192.0.2.1]
            """)
    void parsesToCanonicalForm(String text, String canonical) {
        Domain domain = Domain.parse(text);

        assertThat(domain.name()).isEqualTo(canonical);
        assertThat(domain.isAddressLiteral()).isEqualTo(canonical.startsWith("["));
        // canonical means stable: parsing the canonical form gives the same domain
        assertThat(Domain.parse(domain.name())).isEqualTo(domain);
    }

    static Stream<Arguments> lengths() {
        String l63 = "a".repeat(63);
        return Stream.of(
                // RFC 1035 §2.3.4 (RFC 5321 §4.5.3.1.2): labels up to 63 octets
                Arguments.of(l63 + ".example", true),
                Arguments.of("a".repeat(64) + ".example", false),
                // RFC 1035 §2.3.4: 255 octets on the wire, so 253 characters of text
                Arguments.of(l63 + "." + l63 + "." + l63 + "." + "d".repeat(61), true),
                Arguments.of(l63 + "." + l63 + "." + l63 + "." + "d".repeat(62), false),
                // the trailing dot is not counted
                Arguments.of(l63 + "." + l63 + "." + l63 + "." + "d".repeat(61) + ".", true));
    }

    @ParameterizedTest(name = "[{index}] accepted={1}")
    @MethodSource("lengths")
    void enforcesLengthLimits(String text, boolean valid) {
        if (valid) {
            assertThat(Domain.parse(text).name()).isEqualTo(text.endsWith(".") ? text.substring(0, text.length() - 1) : text);
        } else {
            assertThatIllegalArgumentException().isThrownBy(() -> Domain.parse(text));
        }
    }

    @ParameterizedTest(name = "[{index}] \"{0}\"")
    @NullAndEmptySource
    @ValueSource(strings = {
        // RFC 5321 §2.3.5: empty labels, hyphens at the ends, characters outside LDH
        ".", "..", "example..com", ".example.com", "example.com..", "-example.com", "example-.com",
        "exa_mple.com", "exa mple.com", "*.example.com", "example.com/x", "user@example.com", "example.com:25",
        // RFC 5321 §4.1.3: malformed address literals
        "[]", "[192.0.2.256]", "[192.0.2.01]", "[192.0.2]", "[192.0.2.1", "192.0.2.1]", "[ 192.0.2.1]",
        "[IPv6:1::2::3]", "[IPv6:12345::]", "[IPv6:fe80::1%eth0]", "[IPv6:]", "[IPv6:192.0.2.1]",
        "[IPv7:2001:db8::1]", "[2001:db8::1]", "[example.com]",
    })
    void rejects(String text) {
        assertThatIllegalArgumentException().isThrownBy(() -> Domain.parse(text));
    }

    /** Parse, then check: an address literal that is not numeric must never reach the resolver. */
    @ParameterizedTest(name = "[{index}] \"{0}\"")
    @ValueSource(strings = {"[IPv6:.1:]", "[IPv6:.:]", "[IPv6:...:]"})
    void rejectsNonNumericLiteralsWithoutALookup(String text) {
        assertThatIllegalArgumentException().isThrownBy(() -> Domain.parse(text))
                .withMessage("invalid address literal '" + text + "'")
                .withNoCause();
    }

    @Test
    void ordersByCanonicalName() {
        assertThat(Domain.parse("B.example")).isGreaterThan(Domain.parse("a.example"));
        assertThat(Domain.parse("Example.com")).isEqualByComparingTo(Domain.parse("example.com."));
    }
}
