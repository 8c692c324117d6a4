package relay.core.outbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static relay.core.outbound.OutboundFixture.BODY;
import static relay.core.outbound.OutboundFixture.byRecipient;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import relay.core.delivery.Outcome;
import relay.core.mail.Domain;
import relay.core.policy.TlsPolicySource;
import relay.core.policy.TlsRequirement;
import relay.core.testing.ScriptedSmtpServer;
import relay.core.testing.TestMx;

/**
 * A configured route (smart host): every domain goes to one next hop, whatever its MX records,
 * with verified TLS and AUTH PLAIN (RFC 4954, RFC 4616) inside it.
 */
class RouteIT {

    private static final Optional<String> SMARTHOST = Optional.of("smarthost.example.test");
    private static final Map<String, String> USERS = Map.of("u", "p");

    private OutboundFixture f;

    @BeforeEach
    void start() throws IOException {
        f = new OutboundFixture();
        // the recipient domain has an MX of its own, which a route must ignore
        f.zone("""
                smarthost A 127.0.0.4
                elsewhere MX 10 mx1
                mx1 A 127.0.0.2
                """);
    }

    @AfterEach
    void stop() {
        if (f != null) {
            f.close();
        }
    }

    private Route route(TlsRequirement tls, String password) {
        return new Route("*", Domain.parse("smarthost.example.test"), f.port, tls,
                Optional.of(new Route.Credentials("u", password)));
    }

    private TestMx smarthost() {
        return f.mx(3, b -> b.hostName("smarthost.example.test").tls(f.pki.issue("smarthost.example.test").serverContext())
                .users(USERS));
    }

    @Test
    void deliversThroughTheSmartHostWithAuthInsideVerifiedTls() {
        TestMx smarthost = smarthost();
        TestMx mx1 = f.mx(1, b -> b);
        SmtpDeliveryAgent agent = f.agent(TlsPolicySource.none(), List.of(route(TlsRequirement.VERIFIED, "p")));

        Map<String, Outcome> out = byRecipient(agent.deliver(f.request("bob@elsewhere.example.test")));

        assertThat(out).containsExactly(Map.entry("bob@elsewhere.example.test", new Outcome.Delivered("2.0.0", "250 Ok", SMARTHOST)));
        assertThat(smarthost.received()).singleElement().satisfies(r -> {
            assertThat(r.user()).contains("u");
            assertThat(r.tls()).isTrue();
            assertThat(r.sender()).isEqualTo("alice@sender.test");
            assertThat(r.recipients()).containsExactly("bob@elsewhere.example.test");
            assertThat(r.text()).isEqualTo(BODY);
        });
        assertThat(mx1.connections()).isZero();
    }

    /** A refused password is the operator's to fix: defer (4.7.8), never bounce, send nothing. */
    @Test
    void defersWhenTheSmartHostRefusesTheCredentials() {
        TestMx smarthost = smarthost();
        SmtpDeliveryAgent agent = f.agent(TlsPolicySource.none(), List.of(route(TlsRequirement.VERIFIED, "wrong")));

        Outcome o = byRecipient(agent.deliver(f.request("bob@elsewhere.example.test"))).get("bob@elsewhere.example.test");

        assertThat(o).isInstanceOf(Outcome.Deferred.class);
        assertThat(o.status()).isEqualTo("4.7.8");
        assertThat(o.diagnostic()).contains("535");
        assertThat(o.remoteMta()).isEqualTo(SMARTHOST);
        assertThat(smarthost.mailCommands()).isZero();
    }

    /**
     * A route with {@code tls: none} is the operator's word for a next hop whose TLS is broken
     * (TlsRequirement.NONE: never STARTTLS), even though it announces STARTTLS.
     */
    @Test
    void neverSaysStartTlsOnARouteWithoutTls() throws IOException {
        ScriptedSmtpServer smarthost = f.scripted(3, b -> b.hostName("smarthost.example.test").extensions("PIPELINING", "STARTTLS")
                .tls(f.pki.issue("smarthost.example.test").serverContext()));
        Route plaintext = new Route("*", Domain.parse("smarthost.example.test"), f.port, TlsRequirement.NONE, Optional.empty());
        SmtpDeliveryAgent agent = f.agent(TlsPolicySource.none(), List.of(plaintext));

        Outcome o = byRecipient(agent.deliver(f.request("bob@elsewhere.example.test"))).get("bob@elsewhere.example.test");

        assertThat(o).isEqualTo(new Outcome.Delivered("2.0.0", "250 2.0.0 Ok: queued", SMARTHOST));
        assertThat(smarthost.conversations().get(0).lines()).containsExactly("EHLO relay.example.test",
                "MAIL FROM:<alice@sender.test>", "RCPT TO:<bob@elsewhere.example.test>", "DATA");
    }

    /** A policy that requires verified TLS still wins over a route without TLS. */
    @Test
    void aVerifiedPolicyOverridesARouteWithoutTls() {
        TestMx smarthost = smarthost();
        Route plaintext = new Route("*", Domain.parse("smarthost.example.test"), f.port, TlsRequirement.NONE, Optional.empty());
        SmtpDeliveryAgent agent = f.agent(OutboundFixture.verified(), List.of(plaintext));

        Outcome o = byRecipient(agent.deliver(f.request("bob@elsewhere.example.test"))).get("bob@elsewhere.example.test");

        assertThat(o).isEqualTo(new Outcome.Delivered("2.0.0", "250 Ok", SMARTHOST));
        assertThat(smarthost.received()).singleElement().satisfies(r -> assertThat(r.tls()).isTrue());
    }

    /** RFC 4954 §4: credentials never cross in plaintext, even when the route allows plaintext mail. */
    @Test
    void neverSendsCredentialsWithoutTls() throws IOException {
        ScriptedSmtpServer smarthost = f.scripted(3, b -> b.hostName("smarthost.example.test").extensions("PIPELINING", "AUTH PLAIN LOGIN"));
        SmtpDeliveryAgent agent = f.agent(TlsPolicySource.none(), List.of(route(TlsRequirement.OPPORTUNISTIC, "p")));

        Outcome o = byRecipient(agent.deliver(f.request("bob@elsewhere.example.test"))).get("bob@elsewhere.example.test");

        assertThat(o).isInstanceOf(Outcome.Deferred.class);
        assertThat(o.status()).isEqualTo("4.7.11");
        assertThat(o.remoteMta()).isEqualTo(SMARTHOST);
        ScriptedSmtpServer.Conversation c = smarthost.conversations().get(0);
        await().atMost(Duration.ofSeconds(5)).until(c::closed);
        assertThat(c.lines()).containsExactly("EHLO relay.example.test", "QUIT");
    }
}
