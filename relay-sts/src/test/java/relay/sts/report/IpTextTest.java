package relay.sts.report;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class IpTextTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        // RFC 8460 §4.4 (RPT-25): IPv4 dotted decimal
        "192.0.2.1, 192.0.2.1",
        // RFC 5952 §4.1 leading zeros dropped, §4.3 lower case
        "2001:0DB8:0000:0000:0000:0000:0000:0001, 2001:db8::1",
        "2001:DB8:0:0::1, 2001:db8::1",
        // the RFC 8460 example address is not canonical
        "2001:db8:abcd:0012::1, 2001:db8:abcd:12::1",
        // RFC 5952 §4.2.2: a single zero group is not shortened
        "2001:db8:0:1:1:1:1:1, 2001:db8:0:1:1:1:1:1",
        // RFC 5952 §4.2.3: the longest run; the first on a tie
        "2001:0:0:1:0:0:0:1, 2001:0:0:1::1",
        "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1",
        "0:0:0:0:0:0:0:0, ::",
        "::1, ::1",
        "fe80::, fe80::",
        // brackets as in an SMTP address literal
        "[2001:db8::0:1], 2001:db8::1",
        // not an IP literal: kept as given, never looked up
        "mx.example.com, mx.example.com",
        // text of hexadecimal letters and digits that is no IP literal either: no DNS look-up,
        // no BSD-style reading of short or octal forms
        "beef, beef",
        "cafe.be, cafe.be",
        "dead.beef.cafe, dead.beef.cafe",
        "123, 123",
        "10.1, 10.1",
        "1.2.3, 1.2.3",
        "256.1.1.1, 256.1.1.1",
        "010.0.0.1, 010.0.0.1",
    })
    void canonical(String in, String out) {
        assertThat(IpText.canonical(in)).isEqualTo(out);
    }
}
