package relay.core.outbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static relay.core.outbound.OutboundFixture.BODY;
import static relay.core.outbound.OutboundFixture.byRecipient;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import relay.core.delivery.Outcome;
import relay.core.policy.TlsPolicySource;
import relay.core.testing.ScriptedSmtpServer;
import relay.core.testing.TestMx;
import relay.core.testing.TestPki;

/**
 * STARTTLS as the policy demands (RFC 3207, RFC 8461 §4.2 and §5): what a verified policy does
 * with each certificate failure and with an MX that offers no TLS, what opportunistic TLS does
 * with the same hosts, and that injected plaintext after the 220 ends the session.
 */
class StartTlsIT {

    private static final Optional<String> MX1 = Optional.of("mx1.example.test");

    private OutboundFixture f;

    @BeforeEach
    void start() throws IOException {
        f = new OutboundFixture();
        f.zone("""
                @ MX 10 mx1
                mx1 A 127.0.0.2
                """);
    }

    @AfterEach
    void stop() {
        if (f != null) {
            f.close();
        }
    }

    /** A certificate for the MX that fails one check, and the words the diagnostic must use. */
    static Stream<Arguments> badCertificates() {
        Instant now = Instant.now();
        return Stream.of(
                Arguments.of("name mismatch", (Function<TestPki, SSLContext>) pki -> pki.issue("other.example.test").serverContext(),
                        "name mismatch"),
                Arguments.of("expired", (Function<TestPki, SSLContext>) pki -> pki.issue(now.minus(Duration.ofDays(30)),
                        now.minus(Duration.ofDays(1)), "mx1.example.test").serverContext(), "expired"),
                Arguments.of("untrusted CA", (Function<TestPki, SSLContext>) pki -> TestPki.create("Unknown CA")
                        .issue("mx1.example.test").serverContext(), "not trusted"));
    }

    /** RFC 8461 §4.2 and §5, RFC 3207 §4.1: under a verified policy a bad certificate defers, and no MAIL is sent. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("badCertificates")
    void defersOnABadCertificateUnderAVerifiedPolicy(String name, Function<TestPki, SSLContext> certificate, String problem) {
        TestMx mx1 = f.mx(1, b -> b.tls(certificate.apply(f.pki)));
        SmtpDeliveryAgent agent = f.agent(OutboundFixture.verified());

        Outcome o = byRecipient(agent.deliver(f.request("bob@example.test"))).get("bob@example.test");

        assertThat(o).isInstanceOf(Outcome.Deferred.class);
        assertThat(o.status()).isEqualTo("4.7.5");
        assertThat(o.diagnostic()).contains(problem).contains("mx1.example.test");
        assertThat(o.remoteMta()).isEqualTo(MX1);
        assertThat(mx1.connections()).isEqualTo(1);
        assertThat(mx1.mailCommands()).as("MAIL commands").isZero();
        assertThat(mx1.received()).isEmpty();
    }

    /** RFC 3207 §4.1: the next thing after a failed check is QUIT, inside TLS; SNI names the MX (RFC 8461 §4.2). */
    @Test
    void saysQuitRightAfterAFailedCheckAndSentSni() throws IOException {
        ScriptedSmtpServer mx1 = f.scripted(1, b -> b.extensions("PIPELINING", "STARTTLS")
                .tls(TestPki.create("Unknown CA").issue("mx1.example.test").serverContext()));
        SmtpDeliveryAgent agent = f.agent(OutboundFixture.verified());

        Outcome o = byRecipient(agent.deliver(f.request("bob@example.test"))).get("bob@example.test");

        assertThat(o.status()).isEqualTo("4.7.5");
        ScriptedSmtpServer.Conversation c = mx1.conversations().get(0);
        await().atMost(Duration.ofSeconds(5)).until(c::closed);
        assertThat(c.lines()).containsExactly("EHLO relay.example.test", "STARTTLS", "[tls] QUIT");
        assertThat(c.sni()).contains("mx1.example.test");
    }

    /**
     * RFC 3207 §4.2: after TLS the client starts over with EHLO, and never says STARTTLS again
     * (TLS-06), though this server still announces it inside TLS.
     */
    @Test
    void saysEhloAgainAfterTheHandshake() throws IOException {
        ScriptedSmtpServer mx1 = f.scripted(1, b -> b.extensions("PIPELINING", "STARTTLS")
                .tls(f.pki.issue("mx1.example.test").serverContext()));
        SmtpDeliveryAgent agent = f.agent(OutboundFixture.verified());

        Outcome o = byRecipient(agent.deliver(f.request("bob@example.test"))).get("bob@example.test");

        assertThat(o).isEqualTo(new Outcome.Delivered("2.0.0", "250 2.0.0 Ok: queued", MX1));
        agent.close();
        ScriptedSmtpServer.Conversation c = mx1.conversations().get(0);
        await().atMost(Duration.ofSeconds(5)).until(c::closed);
        assertThat(c.lines()).containsExactly("EHLO relay.example.test", "STARTTLS", "[tls] EHLO relay.example.test",
                "[tls] MAIL FROM:<alice@sender.test>", "[tls] RCPT TO:<bob@example.test>", "[tls] DATA", "[tls] QUIT");
        assertThat(c.sni()).contains("mx1.example.test");
    }

    /**
     * RFC 3207 §4.2 (TLS-05): what the server announced before TLS is forgotten; inside TLS it no
     * longer offers SMTPUTF8, so a message that needs it is not sent.
     */
    @Test
    void forgetsThePlaintextCapabilitiesAfterTheHandshake() throws IOException {
        ScriptedSmtpServer mx1 = f.scripted(1, b -> b.extensions("PIPELINING", "SMTPUTF8", "STARTTLS")
                .extensionsInsideTls("PIPELINING", "8BITMIME").tls(f.pki.issue("mx1.example.test").serverContext()));
        SmtpDeliveryAgent agent = f.agent(OutboundFixture.verified());

        Outcome o = byRecipient(agent.deliver(f.request(relay.core.testing.BytesMessage.of("Subject: Grüße\r\n\r\nHallo\r\n"),
                true, "jörg@sender.test", "bob@example.test"))).get("bob@example.test");

        assertThat(o).isInstanceOf(Outcome.Bounced.class);
        assertThat(o.status()).isEqualTo("5.6.7");
        ScriptedSmtpServer.Conversation c = mx1.conversations().get(0);
        await().atMost(Duration.ofSeconds(5)).until(c::closed);
        assertThat(c.lines()).containsExactly("EHLO relay.example.test", "STARTTLS", "[tls] EHLO relay.example.test", "[tls] QUIT");
    }

    /** RFC 8461 §5: an MX that offers no STARTTLS cannot take mail under a verified policy. */
    @Test
    void defersWhenTheMxOffersNoStartTlsUnderAVerifiedPolicy() {
        TestMx mx1 = f.mx(1, b -> b);
        SmtpDeliveryAgent agent = f.agent(OutboundFixture.verified());

        Outcome o = byRecipient(agent.deliver(f.request("bob@example.test"))).get("bob@example.test");

        assertThat(o).isInstanceOf(Outcome.Deferred.class);
        assertThat(o.status()).isEqualTo("4.7.10");
        assertThat(o.diagnostic()).contains("STARTTLS");
        assertThat(o.remoteMta()).isEqualTo(MX1);
        assertThat(mx1.mailCommands()).isZero();
    }

    /** RFC 8461 §5 and RFC 3207 §4: a 454 to STARTTLS under a verified policy defers, nothing sent. */
    @Test
    void defersWhenTheMxRefusesStartTlsUnderAVerifiedPolicy() throws IOException {
        ScriptedSmtpServer mx1 = f.scripted(1, b -> b.extensions("STARTTLS").startTlsReply("454 4.7.0 TLS not available\r\n"));
        SmtpDeliveryAgent agent = f.agent(OutboundFixture.verified());

        Outcome o = byRecipient(agent.deliver(f.request("bob@example.test"))).get("bob@example.test");

        assertThat(o).isInstanceOf(Outcome.Deferred.class);
        assertThat(o.status()).isEqualTo("4.7.10");
        assertThat(o.diagnostic()).contains("454 4.7.0 TLS not available");
        ScriptedSmtpServer.Conversation c = mx1.conversations().get(0);
        await().atMost(Duration.ofSeconds(5)).until(c::closed);
        assertThat(c.lines()).containsExactly("EHLO relay.example.test", "STARTTLS", "QUIT");
    }

    /** RFC 3207 §4 / RFC 7435: without a policy, an MX without STARTTLS gets the mail in plaintext. */
    @Test
    void deliversInPlaintextWhenOpportunisticAndNoStartTls() {
        TestMx mx1 = f.mx(1, b -> b);
        SmtpDeliveryAgent agent = f.agent(TlsPolicySource.none());

        Outcome o = byRecipient(agent.deliver(f.request("bob@example.test"))).get("bob@example.test");

        assertThat(o).isEqualTo(new Outcome.Delivered("2.0.0", "250 Ok", MX1));
        assertThat(mx1.received()).singleElement().satisfies(r -> {
            assertThat(r.tls()).isFalse();
            assertThat(r.text()).isEqualTo(BODY);
        });
    }

    /** RFC 7435: opportunistic TLS encrypts even when the certificate would fail a verified policy. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("badCertificates")
    void deliversOverTlsWithABadCertificateWhenOpportunistic(String name, Function<TestPki, SSLContext> certificate, String problem) {
        TestMx mx1 = f.mx(1, b -> b.tls(certificate.apply(f.pki)));
        SmtpDeliveryAgent agent = f.agent(TlsPolicySource.none());

        Outcome o = byRecipient(agent.deliver(f.request("bob@example.test"))).get("bob@example.test");

        assertThat(o).isEqualTo(new Outcome.Delivered("2.0.0", "250 Ok", MX1));
        assertThat(mx1.received()).singleElement().satisfies(r -> {
            assertThat(r.tls()).as("delivered inside TLS").isTrue();
            assertThat(r.text()).isEqualTo(BODY);
        });
    }

    /**
     * RFC 3207 §6 (CVE-2011-0411): bytes after the 220 to STARTTLS are an injection attempt. The
     * session ends there: no handshake, no command, no mail, whatever the policy.
     */
    @ParameterizedTest(name = "verified={0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {true, false})
    void refusesASessionWithInjectedRepliesAfterStartTls(boolean verified) throws IOException {
        ScriptedSmtpServer mx1 = f.scripted(1, b -> b.extensions("PIPELINING", "STARTTLS")
                .startTlsReply("220 go\r\n250 injected\r\n").tls(f.pki.issue("mx1.example.test").serverContext()));
        SmtpDeliveryAgent agent = f.agent(verified ? OutboundFixture.verified() : TlsPolicySource.none());

        Outcome o = byRecipient(agent.deliver(f.request("bob@example.test"))).get("bob@example.test");

        assertThat(o).isInstanceOf(Outcome.Deferred.class);
        assertThat(o.diagnostic()).contains("injection");
        assertThat(o.remoteMta()).isEqualTo(MX1);
        ScriptedSmtpServer.Conversation c = mx1.conversations().get(0);
        await().atMost(Duration.ofSeconds(5)).until(c::closed);
        assertThat(c.lines()).containsExactly("EHLO relay.example.test", "STARTTLS");
        assertThat(c.sni()).isEmpty();
        assertThat(c.messages()).isEmpty();
    }
}
