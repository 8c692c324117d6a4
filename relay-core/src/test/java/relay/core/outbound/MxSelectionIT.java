package relay.core.outbound;

import static org.assertj.core.api.Assertions.assertThat;
import static relay.core.outbound.OutboundFixture.BODY;
import static relay.core.outbound.OutboundFixture.byRecipient;

import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import relay.core.delivery.Outcome;
import relay.core.policy.TlsPolicySource;
import relay.core.testing.TestMx;

/**
 * What DNS says about the recipient domain decides the outcome before any connection
 * (RFC 5321 §5.1, RFC 7505): null MX and NXDOMAIN bounce, SERVFAIL defers, no MX means the
 * domain's own address, and an MX that is a CNAME is followed.
 */
class MxSelectionIT {

    private OutboundFixture f;
    private TestMx listener;

    @BeforeEach
    void start() throws IOException {
        f = new OutboundFixture();
        // something listens at 127.0.0.2 in every test, so a connection that must not happen would show
        listener = f.tlsMx(1);
    }

    @AfterEach
    void stop() {
        if (f != null) {
            f.close();
        }
    }

    /** RFC 7505 §4.1: a null MX fails at once with 5.1.10, without touching the domain's A record. */
    @Test
    void bouncesANullMxDomainWithoutConnecting() throws IOException {
        f.zone("""
                @ MX 0 .
                @ A 127.0.0.2
                """);
        SmtpDeliveryAgent agent = f.agent(TlsPolicySource.none());

        Map<String, Outcome> out = byRecipient(agent.deliver(f.request("bob@example.test", "carol@example.test")));

        assertThat(out.values()).hasSize(2).allSatisfy(o -> {
            assertThat(o).isInstanceOf(Outcome.Bounced.class);
            assertThat(o.status()).isEqualTo("5.1.10");
            assertThat(o.diagnostic()).contains("null MX");
            assertThat(o.remoteMta()).isEmpty();
        });
        assertThat(listener.connections()).isZero();
    }

    /** RFC 5321 §5.1: a domain that does not exist is an error (5.1.2), reported at once. */
    @Test
    void bouncesANonexistentDomain() throws IOException {
        f.twoMx();
        SmtpDeliveryAgent agent = f.agent(TlsPolicySource.none());

        Outcome o = byRecipient(agent.deliver(f.request("bob@nosuch.example.test"))).get("bob@nosuch.example.test");

        assertThat(o).isInstanceOf(Outcome.Bounced.class);
        assertThat(o.status()).isEqualTo("5.1.2");
        assertThat(o.diagnostic()).contains("nosuch.example.test");
        assertThat(o.remoteMta()).isEmpty();
        assertThat(listener.connections()).isZero();
    }

    /** RFC 5321 §5.1: a temporary DNS failure means try again later (4.4.3). */
    @Test
    void defersOnServfail() throws IOException {
        f.twoMx();
        f.dns.servfail("example.test.");
        SmtpDeliveryAgent agent = f.agent(TlsPolicySource.none());

        Outcome o = byRecipient(agent.deliver(f.request("bob@example.test"))).get("bob@example.test");

        assertThat(o).isInstanceOf(Outcome.Deferred.class);
        assertThat(o.status()).isEqualTo("4.4.3");
        assertThat(o.diagnostic()).contains("SERVFAIL");
        assertThat(o.remoteMta()).isEmpty();
        assertThat(listener.connections()).isZero();
    }

    /** RFC 5321 §5.1: no MX record at all: the domain's own address is the implicit MX. */
    @Test
    void deliversToTheImplicitMx() throws IOException {
        f.zone("""
                implicit A 127.0.0.2
                """);
        SmtpDeliveryAgent agent = f.agent(TlsPolicySource.none());

        Outcome o = byRecipient(agent.deliver(f.request("bob@implicit.example.test"))).get("bob@implicit.example.test");

        assertThat(o).isEqualTo(new Outcome.Delivered("2.0.0", "250 Ok", Optional.of("implicit.example.test")));
        assertThat(listener.received()).singleElement().satisfies(r -> {
            assertThat(r.recipients()).containsExactly("bob@implicit.example.test");
            assertThat(r.text()).isEqualTo(BODY);
        });
    }

    /**
     * RFC 5321 §5.1 (SMTP-08, decision: follow it): an MX target that is a CNAME is followed for
     * the address, and the certificate is checked against the MX name itself (RFC 8461 §4.1).
     */
    @Test
    void followsAnMxTargetThatIsACname() throws IOException {
        f.zone("""
                @ MX 10 mx1
                mx1 CNAME real
                real A 127.0.0.2
                """);
        SmtpDeliveryAgent agent = f.agent(OutboundFixture.verified());

        Outcome o = byRecipient(agent.deliver(f.request("bob@example.test"))).get("bob@example.test");

        assertThat(o).isEqualTo(new Outcome.Delivered("2.0.0", "250 Ok", Optional.of("mx1.example.test")));
        assertThat(listener.received()).singleElement().satisfies(r -> assertThat(r.tls()).isTrue());
    }

    /** RFC 7505 §3 (decision NMX-04): a "." beside real MX records is ignored and the real ones are used. */
    @Test
    void ignoresANullMxBesideRealOnes() throws IOException {
        f.zone("""
                @ MX 0 .
                @ MX 10 mx1
                mx1 A 127.0.0.2
                """);
        SmtpDeliveryAgent agent = f.agent(TlsPolicySource.none());

        Outcome o = byRecipient(agent.deliver(f.request("bob@example.test"))).get("bob@example.test");

        assertThat(o).isInstanceOf(Outcome.Delivered.class);
        assertThat(listener.received()).hasSize(1);
    }
}
