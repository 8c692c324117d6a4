package relay.core.tls;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DnsIdMatcherTest {

    @ParameterizedTest(name = "{0} vs {1} -> {2}")
    @CsvSource({
        // RFC 6125 §6.4.1: exact match, labels compared case-insensitively
        "mx1.example.com, mx1.example.com, true",
        "MX1.EXAMPLE.COM, mx1.example.com, true",
        "mx1.example.com, MX1.Example.Com, true",
        "mx1.example.com, mx2.example.com, false",
        "example.com, mx1.example.com, false",
        // a trailing dot is ignored on either side
        "mx1.example.com., mx1.example.com, true",
        "mx1.example.com, mx1.example.com., true",
        // RFC 6125 §6.4.3 / RFC 8461 §3.3: a wildcard is the whole left-most label, one label deep
        "*.example.com, mail.example.com, true",
        "*.example.com, MAIL.example.com, true",
        "*.example.com, example.com, false",
        "*.example.com, a.b.example.com, false",
        "*.com, example.com, false",
        "*.com, mx.example.com, false",
        "m*.example.com, mx.example.com, false",
        "*x.example.com, mx.example.com, false",
        "mx.*.example.com, mx.a.example.com, false",
        "*.*.example.com, a.b.example.com, false",
        "*, example, false",
        // RFC 6125 §6.4.2: U-labels are compared as A-labels
        "xn--bcher-kva.example, bücher.example, true",
        "mx.xn--bcher-kva.example, MX.XN--BCHER-KVA.EXAMPLE., true",
        "*.xn--bcher-kva.example, mx.bücher.example, true",
        // seen in the wild: empty and broken names never match
        "'', mx.example.com, false",
        "mx..example.com, mx..example.com, false",
    })
    void matchesDnsIds(String presented, String host, boolean expected) {
        assertThat(DnsIdMatcher.matches(presented, host)).isEqualTo(expected);
    }
}
