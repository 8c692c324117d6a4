package relay.core.dns;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.Type;
import relay.core.mail.Domain;
import relay.core.testing.Loopback;
import relay.core.testing.MiniDns;

/** RFC 5321 §5.1 and RFC 7505 against a real DNS server (MiniDns on loopback, wire format). */
class MxResolverIT {

    private MiniDns server;

    @BeforeEach
    void start() throws IOException {
        server = Loopback.retryingBind(() -> MiniDns.start("example.test", ""));
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private Dns dns(Duration timeout) {
        return new Dns(new DnsSettings(List.of(server.address()), timeout));
    }

    private MxLookup resolve(String zone, String domain) throws IOException {
        server.setZone(zone);
        return new MxResolver(dns(Duration.ofSeconds(1)), new Random(1)).resolve(Domain.parse(domain));
    }

    private static List<String> names(MxLookup lookup) {
        assertThat(lookup).isInstanceOf(MxLookup.Hosts.class);
        return ((MxLookup.Hosts) lookup).hosts().stream().map(h -> h.name().name() + "/" + h.preference()).toList();
    }

    // RFC 5321 §5.1: lowest preference first

    @Test
    void ordersByPreference() throws IOException {
        MxLookup l = resolve("""
                @ MX 30 c
                @ MX 10 a
                @ MX 20 b
                """, "example.test");

        assertThat(names(l)).containsExactly("a.example.test/10", "b.example.test/20", "c.example.test/30");
        assertThat(((MxLookup.Hosts) l).implicit()).isFalse();
    }

    /** RFC 5321 §5.1 (SMTP-10): equal preferences in random order, each host first about as often. */
    @Test
    void shufflesEqualPreferences() throws IOException {
        server.setZone("""
                @ MX 5 best
                @ MX 10 a
                @ MX 10 b
                @ MX 10 c
                @ MX 20 last
                """);
        MxResolver resolver = new MxResolver(dns(Duration.ofSeconds(1)), new Random(5321));
        Map<String, Integer> secondPlace = new HashMap<>();
        int runs = 600;
        for (int i = 0; i < runs; i++) {
            List<String> order = names(resolver.resolve(Domain.parse("example.test")));
            assertThat(order.get(0)).isEqualTo("best.example.test/5");
            assertThat(order.subList(1, 4)).containsExactlyInAnyOrder("a.example.test/10", "b.example.test/10", "c.example.test/10");
            assertThat(order.get(4)).isEqualTo("last.example.test/20");
            secondPlace.merge(order.get(1), 1, Integer::sum);
        }
        // each of the three is first among equals about a third of the time (expected 200, sd about 12)
        assertThat(secondPlace).hasSize(3);
        assertThat(secondPlace.values()).allSatisfy(n -> assertThat(n).isBetween(150, 250));
    }

    // RFC 5321 §5.1: implicit MX, NXDOMAIN, temporary failures

    @Test
    void usesTheDomainItselfWhenThereIsNoMx() throws IOException {
        MxLookup l = resolve("""
                implicit A 127.0.0.2
                """, "implicit.example.test");

        assertThat(names(l)).containsExactly("implicit.example.test/0");
        assertThat(((MxLookup.Hosts) l).implicit()).isTrue();
    }

    @Test
    void aDomainWithNeitherMxNorAddressReceivesNoMail() throws IOException {
        assertThat(resolve("""
                text TXT "no mail here"
                """, "text.example.test")).isInstanceOf(MxLookup.NoSuchDomain.class);
    }

    @Test
    void aNonexistentDomainIsPermanent() throws IOException {
        MxLookup l = resolve("""
                @ MX 10 mx1
                """, "nosuch.example.test");

        assertThat(l).isInstanceOf(MxLookup.NoSuchDomain.class);
        assertThat(((MxLookup.NoSuchDomain) l).reason()).contains("NXDOMAIN");
    }

    @Test
    void servfailIsTemporary() throws IOException {
        server.servfail("example.test.");

        MxLookup l = resolve("""
                @ MX 10 mx1
                """, "example.test");

        assertThat(l).isInstanceOf(MxLookup.TemporaryFailure.class);
        assertThat(((MxLookup.TemporaryFailure) l).reason()).contains("SERVFAIL");
    }

    @Test
    void aServerThatDoesNotAnswerIsTemporary() throws IOException {
        server.setZone("@ MX 10 mx1\n");
        server.silence("example.test.");

        MxLookup l = new MxResolver(dns(Duration.ofMillis(300)), new Random(1)).resolve(Domain.parse("example.test"));

        assertThat(l).isInstanceOf(MxLookup.TemporaryFailure.class);
    }

    // RFC 5321 §5.1: CNAMEs

    /** SMTP-02: a domain that is a CNAME is processed as if it were its target. */
    @Test
    void followsADomainThatIsACname() throws IOException {
        assertThat(names(resolve("""
                alias CNAME target
                target MX 10 mx1
                """, "alias.example.test"))).containsExactly("mx1.example.test/10");
    }

    /** SMTP-08 (decision: follow): the MX name is kept as published; its address comes through the CNAME. */
    @Test
    void keepsAnMxTargetThatIsACnameAndItsAddressResolves() throws IOException {
        MxLookup l = resolve("""
                @ MX 10 mx1
                mx1 CNAME real
                real A 127.0.0.9
                """, "example.test");

        assertThat(names(l)).containsExactly("mx1.example.test/10");
        DnsAnswer a = dns(Duration.ofSeconds(1)).lookup("mx1.example.test", Type.A);
        assertThat(a).isInstanceOf(DnsAnswer.Found.class);
        assertThat(((DnsAnswer.Found) a).records()).singleElement()
                .satisfies(r -> assertThat(((ARecord) r).getAddress().getHostAddress()).isEqualTo("127.0.0.9"));
    }

    // RFC 5321 §5.1: an MX names a host, never an address

    @Test
    void skipsAnMxTargetThatIsAnIpAddress() throws IOException {
        assertThat(names(resolve("""
                @ MX 10 127.0.0.2.
                @ MX 20 mx2
                """, "example.test"))).containsExactly("mx2.example.test/20");
    }

    /** SMTP-06: MX records that name no usable host are an error, never an implicit MX. */
    @Test
    void onlyIpAddressTargetsLeaveNoHost() throws IOException {
        assertThat(resolve("""
                @ MX 10 127.0.0.2.
                @ A 127.0.0.3
                """, "example.test")).isInstanceOf(MxLookup.NoSuchDomain.class);
    }

    // RFC 7505

    /** RFC 7505 §3: a single MX of preference 0 and exchange "." means no mail, whatever else the domain has. */
    @Test
    void recognisesANullMx() throws IOException {
        assertThat(resolve("""
                @ MX 0 .
                @ A 127.0.0.2
                """, "example.test")).isInstanceOf(MxLookup.NullMx.class);
    }

    /** RFC 7505 §3 forbids mixing; decision NMX-04: ignore the "." and use the real hosts. */
    @Test
    void ignoresANullMxBesideRealHosts() throws IOException {
        assertThat(names(resolve("""
                @ MX 0 .
                @ MX 10 mx1
                """, "example.test"))).containsExactly("mx1.example.test/10");
    }
}
