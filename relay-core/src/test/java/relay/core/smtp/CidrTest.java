package relay.core.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.net.Inet6Address;
import java.net.InetAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class CidrTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            # RFC 4632 §3.1: IPv4 prefixes; host bits are cleared
            10.0.0.0/8          | 10.0.0.0/8
            10.1.2.3/8          | 10.0.0.0/8
            192.168.1.77/24     | 192.168.1.0/24
            192.0.2.1/32        | 192.0.2.1/32
            0.0.0.0/0           | 0.0.0.0/0
            255.255.255.255/31  | 255.255.255.254/31
            # a bare address is one host
            127.0.0.1           | 127.0.0.1/32
            # RFC 4291 §2.3: IPv6 prefixes
            2001:db8::/32       | 2001:db8:0:0:0:0:0:0/32
            2001:DB8:1:2::7/64  | 2001:db8:1:2:0:0:0:0/64
            ::1                 | 0:0:0:0:0:0:0:1/128
            ::/0                | 0:0:0:0:0:0:0:0/0
            fe80::/10           | fe80:0:0:0:0:0:0:0/10
            # seen in the wild: surrounding blanks in configuration files
            '  10.0.0.0/8  '    | 10.0.0.0/8
            """)
    void parsesToItsNetwork(String text, String canonical) {
        Cidr cidr = Cidr.parse(text);

        assertThat(cidr).hasToString(canonical);
        assertThat(Cidr.parse(canonical)).isEqualTo(cidr).hasSameHashCodeAs(cidr);
    }

    @ParameterizedTest(name = "{0} contains {1}: {2}")
    @CsvSource(delimiter = '|', textBlock = """
            # IPv4
            10.0.0.0/8          | 10.0.0.0          | true
            10.0.0.0/8          | 10.255.255.255    | true
            10.0.0.0/8          | 11.0.0.0          | false
            10.0.0.0/8          | 9.255.255.255     | false
            192.168.1.0/24      | 192.168.1.200     | true
            192.168.1.0/24      | 192.168.2.1       | false
            172.16.0.0/12       | 172.31.255.255    | true
            172.16.0.0/12       | 172.32.0.0        | false
            127.0.0.1           | 127.0.0.1         | true
            127.0.0.1           | 127.0.0.2         | false
            0.0.0.0/0           | 203.0.113.9       | true
            # IPv6
            2001:db8::/32       | 2001:db8:ffff::1  | true
            2001:db8::/32       | 2001:db9::1       | false
            fe80::/10           | febf::1           | true
            fe80::/10           | fec0::1           | false
            ::1                 | ::1               | true
            ::1                 | ::2               | false
            ::/0                | 2001:db8::1       | true
            # one family never matches the other
            0.0.0.0/0           | ::1               | false
            ::/0                | 127.0.0.1         | false
            # RFC 4291 §2.5.5.1: an IPv4-compatible address is not an IPv4 address
            10.0.0.0/8          | ::10.0.0.1        | false
            """)
    void containsAddressesOfItsFamily(String network, String address, boolean expected) throws Exception {
        assertThat(Cidr.parse(network).contains(InetAddress.getByName(address))).isEqualTo(expected);
    }

    /** RFC 4291 §2.5.5.2: a dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d. */
    @ParameterizedTest(name = "10.0.0.0/8 contains ::ffff:{0}: {1}")
    @CsvSource(delimiter = '|', textBlock = """
            10.0.0.1        | true
            10.255.0.9      | true
            11.0.0.1        | false
            """)
    void countsIpv4MappedAddressesAsIpv4(String v4, boolean expected) throws Exception {
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xff;
        mapped[11] = (byte) 0xff;
        System.arraycopy(InetAddress.getByName(v4).getAddress(), 0, mapped, 12, 4);
        // Inet6Address.getByAddress keeps the IPv6 form (InetAddress.getByAddress would not)
        InetAddress address = Inet6Address.getByAddress(null, mapped, -1);

        assertThat(address).isInstanceOf(Inet6Address.class);
        assertThat(Cidr.parse("10.0.0.0/8").contains(address)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "[{index}] \"{0}\"")
    @NullAndEmptySource
    @ValueSource(strings = {
        // prefix lengths out of range or not a number
        "10.0.0.0/33", "10.0.0.0/-1", "::/129", "10.0.0.0/", "10.0.0.0/abc", "10.0.0.0/8/8", "10.0.0.0/8.0", "10.0.0.0/+8",
        // not numeric addresses
        "localhost", "example.com", "10", "/8", "10.0.0.0 /8",
        // RFC 4291 §2.2: malformed IPv6
        ":::", "1::2::3", "2001:db8::g", "fe80::1%eth0", "12345::",
        // IPv4 out of range
        "256.0.0.0/8", "10.0.0.256",
        // RFC 6943 §3.1.1: forms that other parsers read differently (inet_aton: "10.1" is 10.0.0.1,
        // "010" is octal); an allow-list must mean one network only
        "10.1/16", "10.0.0/24", "127.1", "010.0.0.0/8", "0x0a.0.0.0/8", "10.0.0.00",
    })
    void rejects(String text) {
        assertThatIllegalArgumentException().isThrownBy(() -> Cidr.parse(text));
    }

    /** Parsing never touches DNS: text that is not an address is refused as such, not after a lookup. */
    @ParameterizedTest(name = "[{index}] \"{0}\"")
    @ValueSource(strings = {"1.2.3.4.5", "1.2.3.4.5/8", ".1", "10.0.0.0.", "a.b"})
    void rejectsNamesWithoutLookingThemUp(String text) {
        assertThatIllegalArgumentException().isThrownBy(() -> Cidr.parse(text))
                .withMessageContaining("is not an IP network")
                .withNoCause();
    }

    @Test
    void equalityIgnoresHostBits() {
        assertThat(Cidr.parse("10.9.8.7/8")).isEqualTo(Cidr.parse("10.0.0.0/8"))
                .isNotEqualTo(Cidr.parse("10.0.0.0/9"))
                .isNotEqualTo(Cidr.parse("11.0.0.0/8"));
    }
}
