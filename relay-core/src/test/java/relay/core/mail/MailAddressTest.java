package relay.core.mail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class MailAddressTest {

    private static final String L63 = "a".repeat(63);
    /** A 189-octet domain: with a 64-octet local part and the '@' the path is 254 octets. */
    private static final String D189 = L63 + "." + "b".repeat(63) + "." + "c".repeat(61);

    /** mailbox, SMTPUTF8, expected local part, expected domain. */
    static Stream<Arguments> valid() {
        return Stream.of(
                // RFC 5321 §4.1.2 Dot-string: atoms of atext separated by single dots
                arguments("user@example.com", false, "user", "example.com"),
                arguments("first.last@example.com", false, "first.last", "example.com"),
                arguments("user+tag@example.com", false, "user+tag", "example.com"),
                arguments("!#$%&'*+-/=?^_`{|}~@example.com", false, "!#$%&'*+-/=?^_`{|}~", "example.com"),
                // RFC 5321 §2.4: the local part keeps its case, the domain does not
                arguments("John.Doe@EXAMPLE.com", false, "John.Doe", "example.com"),
                // RFC 5321 §4.1.2 Quoted-string, with quoted pairs
                arguments("\"john doe\"@example.com", false, "\"john doe\"", "example.com"),
                arguments("\"a@b\"@example.com", false, "\"a@b\"", "example.com"),
                arguments("\"a\\\"b\"@example.com", false, "\"a\\\"b\"", "example.com"),
                arguments("\"a\\\\b\"@example.com", false, "\"a\\\\b\"", "example.com"),
                arguments("\"..\"@example.com", false, "\"..\"", "example.com"),
                // RFC 5321 §4.1.3 address literals
                arguments("postmaster@[192.0.2.1]", false, "postmaster", "[192.0.2.1]"),
                arguments("postmaster@[IPv6:2001:db8::1]", false, "postmaster", "[IPv6:2001:db8:0:0:0:0:0:1]"),
                // RFC 5321 §4.5.3.1.1 and §4.5.3.1.3: 64-octet local part, 254-octet path
                arguments(L63 + "x@example.com", false, L63 + "x", "example.com"),
                arguments(L63 + "x@" + D189, false, L63 + "x", D189),
                // seen in the wild: a trailing dot on the domain
                arguments("user@example.com.", false, "user", "example.com"),
                // RFC 6531 §3.3 SMTPUTF8: UTF-8 local parts, U-label domains become A-labels
                arguments("用户@例子.测试", true, "用户", "xn--fsqu00a.xn--0zwm56d"),
                arguments("jörg@bücher.example", true, "jörg", "xn--bcher-kva.example"),
                arguments("user@bücher.example", true, "user", "xn--bcher-kva.example"),
                arguments("\"jörg müller\"@example.com", true, "\"jörg müller\"", "example.com"),
                arguments("é".repeat(32) + "@example.com", true, "é".repeat(32), "example.com"),
                // an ASCII address is the same with or without SMTPUTF8
                arguments("user@example.com", true, "user", "example.com"));
    }

    @ParameterizedTest(name = "{0} (SMTPUTF8={1})")
    @MethodSource("valid")
    void parses(String mailbox, boolean utf8, String local, String domain) {
        MailAddress address = MailAddress.parse(mailbox, utf8);

        assertThat(address.localPart()).isEqualTo(local);
        assertThat(address.domain().name()).isEqualTo(domain);
        assertThat(address).hasToString(local + "@" + domain);
        assertThat(address.needsSmtpUtf8()).isEqualTo(!local.chars().allMatch(c -> c < 0x80));
        // the printed form parses back to the same address
        assertThat(MailAddress.parse(address.toString(), utf8)).isEqualTo(address);
    }

    /** mailbox, SMTPUTF8, a fragment of the message that says what is wrong. */
    static Stream<Arguments> invalid() {
        return Stream.of(
                // RFC 5321 §4.1.2: a Mailbox is Local-part "@" Domain
                arguments("", false, "empty address"),
                arguments("user", false, "has no '@'"),
                arguments("user@", false, "empty domain"),
                arguments("@example.com", false, "empty local part"),
                arguments("user@@example.com", false, "invalid domain"),
                arguments("user@example.com@example.org", false, "invalid domain"),
                // RFC 5321 §4.1.2 Dot-string: no empty atoms, atext only
                arguments(".user@example.com", false, "empty atom"),
                arguments("us..er@example.com", false, "empty atom"),
                arguments("user.@example.com", false, "ends with '.'"),
                arguments("us er@example.com", false, "character ' ' not allowed"),
                arguments("us(er@example.com", false, "character '(' not allowed"),
                arguments("us\"er@example.com", false, "character '\"' not allowed"),
                arguments("user\u0000@example.com", false, "character '\\x00' not allowed"),
                // RFC 5321 §4.1.2 Quoted-string
                arguments("\"user@example.com", false, "unterminated quoted local part"),
                arguments("\"\"@example.com", false, "empty quoted local part"),
                arguments("\"a\\\u0007\"@example.com", false, "bad escape"),
                arguments("\"a\u0007\"@example.com", false, "not allowed in a quoted local part"),
                arguments("\"a\"b@example.com", false, "has no '@'"),
                // RFC 5321 §4.1.2 Domain and §4.1.3 address literals
                arguments("user@exa_mple.com", false, "invalid domain"),
                arguments("user@-example.com", false, "invalid domain"),
                arguments("user@example..com", false, "invalid domain"),
                arguments("user@" + "a".repeat(64) + ".example", false, "invalid domain"),
                arguments("user@[192.0.2.256]", false, "invalid address literal"),
                arguments("user@[IPv6:1::2::3]", false, "invalid IPv6 literal"),
                // RFC 5321 §4.5.3.1.1 and §4.5.3.1.3: 64-octet local part, 254-octet path, in octets
                arguments(L63 + "xy@example.com", false, "local part longer than 64 octets"),
                arguments("é".repeat(33) + "@example.com", true, "local part longer than 64 octets"),
                arguments(L63 + "x@" + D189 + "c", false, "address longer than 254 octets"),
                // RFC 6531 §3.2: UTF-8 only when the client asked for SMTPUTF8
                arguments("jörg@example.com", false, "character 'ö' not allowed"),
                arguments("\"jörg\"@example.com", false, "not allowed in a quoted local part"),
                arguments("user@bücher.example", false, "non-ASCII domain without SMTPUTF8"),
                // seen in the wild: a display name or brackets where a bare mailbox belongs
                arguments("John <user@example.com>", false, "character ' ' not allowed"),
                arguments("<user@example.com>", false, "character '<' not allowed"));
    }

    @ParameterizedTest(name = "{0} (SMTPUTF8={1}): {2}")
    @MethodSource("invalid")
    void rejects(String mailbox, boolean utf8, String problem) {
        assertThatIllegalArgumentException().isThrownBy(() -> MailAddress.parse(mailbox, utf8))
                .withMessageContaining(problem);
    }

    @Test
    void domainOfIsEmptyForAnythingThatDoesNotParse() {
        assertThat(MailAddress.domainOf("user@Bücher.Example")).contains(Domain.parse("xn--bcher-kva.example"));
        assertThat(MailAddress.domainOf("user@")).isEqualTo(Optional.empty());
        assertThat(MailAddress.domainOf("no-at-sign")).isEmpty();
    }
}
