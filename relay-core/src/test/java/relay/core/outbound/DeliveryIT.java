package relay.core.outbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static relay.core.outbound.OutboundFixture.BODY;
import static relay.core.outbound.OutboundFixture.byRecipient;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import relay.core.delivery.MessageSource;
import relay.core.delivery.Outcome;
import relay.core.policy.ReportedPolicy;
import relay.core.mail.Domain;
import relay.core.delivery.DeliveryRequest;
import relay.core.policy.PolicyRecheck;
import relay.core.policy.TlsPolicySource;
import relay.core.policy.TlsRequirement;
import relay.core.policy.TransportPolicy;
import relay.core.testing.BytesMessage;
import relay.core.testing.ScriptedSmtpServer;
import relay.core.testing.TestMx;

/**
 * Outbound delivery over real sockets (RFC 5321 §3.3, §4.5.4.1, §5.1): MX hosts on loopback
 * addresses, the replies they give, which of them the agent talks to, and what they receive.
 */
class DeliveryIT {

    private static final Optional<String> MX1 = Optional.of("mx1.example.test");
    private static final Optional<String> MX2 = Optional.of("mx2.example.test");

    private OutboundFixture f;

    @BeforeEach
    void start() throws IOException {
        f = new OutboundFixture();
    }

    @AfterEach
    void stop() {
        if (f != null) {
            f.close();
        }
    }

    private void oneMx() throws IOException {
        f.zone("""
                @ MX 10 mx1
                mx1 A 127.0.0.2
                """);
    }

    /** RFC 8461 §5 / RFC 3207: a verified TLS session to the best MX carries the message byte for byte. */
    @Test
    void deliversOverVerifiedTlsToTheBestMx() throws IOException {
        f.twoMx();
        TestMx mx1 = f.tlsMx(1);
        TestMx mx2 = f.tlsMx(2);
        SmtpDeliveryAgent agent = f.agent(OutboundFixture.verified());

        Map<String, Outcome> out = byRecipient(agent.deliver(f.request("bob@example.test", "Carol@example.test")));

        Outcome delivered = new Outcome.Delivered("2.0.0", "250 Ok", MX1);
        assertThat(out).containsExactly(Map.entry("bob@example.test", delivered), Map.entry("Carol@example.test", delivered));
        assertThat(mx1.received()).singleElement().satisfies(r -> {
            assertThat(r.sender()).isEqualTo("alice@sender.test");
            assertThat(r.recipients()).containsExactly("bob@example.test", "Carol@example.test");
            assertThat(r.text()).isEqualTo(BODY);
            assertThat(r.tls()).as("the MX saw STARTTLS").isTrue();
        });
        assertThat(mx2.connections()).isZero();
    }

    /** RFC 5321 §4.5.2: dot-stuffing survives 64 KiB chunk boundaries, a CRLF split across them included. */
    @Test
    void deliversALargeMessageByteForByte() throws IOException {
        oneMx();
        TestMx mx1 = f.mx(1, b -> b);
        byte[] body = largeBody();
        SmtpDeliveryAgent agent = f.agent(TlsPolicySource.none());

        Map<String, Outcome> out = byRecipient(agent.deliver(f.request(new BytesMessage(body), false, "alice@sender.test",
                "bob@example.test")));

        assertThat(out.get("bob@example.test")).isInstanceOf(Outcome.Delivered.class);
        assertThat(mx1.received()).singleElement().satisfies(r -> {
            assertThat(r.data()).isEqualTo(body);
            assertThat(r.tls()).as("plaintext MX without STARTTLS").isFalse();
        });
    }

    /**
     * RFC 5321 §6.1: an MX that drops the connection in the middle of the content has not taken
     * responsibility for the message: deferred (never bounced), whether it leaves inside the one
     * write of a small message or while the blocks of a large one are still going out.
     */
    @ParameterizedTest
    @CsvSource({"small, 20", "large, 100000"})
    void defersWhenTheMxHangsUpDuringData(String size, int octetsRead) throws IOException {
        oneMx();
        ScriptedSmtpServer mx1 = f.scripted(1, b -> b.hangUpInData(octetsRead));
        SmtpDeliveryAgent agent = f.agent(TlsPolicySource.none());
        MessageSource body = size.equals("small") ? BytesMessage.of(BODY) : new BytesMessage(largeBody());

        Map<String, Outcome> out = byRecipient(agent.deliver(f.request(body, false, "alice@sender.test", "bob@example.test")));

        assertThat(out.get("bob@example.test")).isInstanceOfSatisfying(Outcome.Deferred.class,
                d -> assertThat(d.status()).startsWith("4."));
        assertThat(mx1.conversations()).singleElement().satisfies(c -> assertThat(c.messages()).isEmpty());
    }

    /**
     * RFC 5321 §4.5.3.2.5: each block of the content must be taken by the network within the
     * data-block timeout. An MX that stops reading mid-transfer fails the write of a block (not
     * only, minutes later, the wait for the final reply), and the message is deferred.
     */
    @Test
    void defersWhenTheMxStopsReadingTheContent() throws IOException {
        oneMx();
        f.scripted(1, b -> b.stallInData());
        SmtpDeliveryAgent agent = f.agent(TlsPolicySource.none());
        // far more than the loopback socket buffers of both ends can hold
        byte[] body = new byte[32 * 1024 * 1024];
        java.util.Arrays.fill(body, (byte) 'x');
        for (int i = 998; i < body.length; i += 1000) {
            body[i] = '\r';
            body[i + 1] = '\n';
        }

        Map<String, Outcome> out = byRecipient(agent.deliver(f.request(new BytesMessage(body), false, "alice@sender.test",
                "bob@example.test")));

        assertThat(out.get("bob@example.test")).isInstanceOfSatisfying(Outcome.Deferred.class,
                d -> assertThat(d.diagnostic()).contains("write to").contains("timed out"));
    }

    /**
     * RFC 5321 §4.1.1.10: a connection the relay is done with ends with QUIT, and the relay waits
     * for the reply before closing. It does so on the event loop, so the delivery thread is not
     * held: here an idle pooled connection that outlived its time is let go when the next
     * message opens a fresh one.
     */
    @Test
    void saysQuitToAConnectionItLetsGoAndClosesItAfterTheReply() throws IOException {
        oneMx();
        ScriptedSmtpServer mx1 = f.scripted(1, b -> b);
        SmtpDeliveryAgent agent = f.agent(TlsPolicySource.none());
        agent.deliver(f.request("bob@example.test"));
        f.clock.advance(Duration.ofMinutes(2));

        agent.deliver(f.request("carol@example.test"));

        assertThat(mx1.conversations()).hasSize(2);
        ScriptedSmtpServer.Conversation first = mx1.conversations().get(0);
        await().atMost(Duration.ofSeconds(5)).until(first::closed);
        assertThat(first.lines()).last().isEqualTo("QUIT");
    }

    /** The wait for the reply to QUIT has an end: a server that never answers is closed after 5 s. */
    @Test
    void closesAConnectionWhoseServerNeverAnswersQuit() throws IOException {
        oneMx();
        ScriptedSmtpServer mx1 = f.scripted(1, b -> b.silentOnQuit());
        SmtpDeliveryAgent agent = f.agent(TlsPolicySource.none());
        agent.deliver(f.request("bob@example.test"));
        f.clock.advance(Duration.ofMinutes(2));

        agent.deliver(f.request("carol@example.test"));

        ScriptedSmtpServer.Conversation first = mx1.conversations().get(0);
        await().atMost(Duration.ofSeconds(3)).until(() -> first.lines().contains("QUIT"));
        assertThat(first.closed()).as("still open right after QUIT").isFalse();
        await().atMost(Duration.ofSeconds(10)).until(first::closed);
    }

    /** RFC 5321 §4.1.1.4: the content always ends with CRLF before the final dot. */
    @Test
    void endsAMessageThatLacksAFinalCrlfWithOne() throws IOException {
        oneMx();
        TestMx mx1 = f.mx(1, b -> b);
        SmtpDeliveryAgent agent = f.agent(TlsPolicySource.none());

        agent.deliver(f.request(BytesMessage.of("Subject: x\r\n\r\n.no final line end"), false, "alice@sender.test",
                "bob@example.test"));

        assertThat(mx1.received()).singleElement().extracting(TestMx.Received::text)
                .isEqualTo("Subject: x\r\n\r\n.no final line end\r\n");
    }

    /** RFC 5321 §5.1 and §4.5.4.1: the next MX after a refused connection; the dead host is remembered. */
    @Test
    void triesTheNextMxAndRemembersTheDeadOne() throws IOException {
        f.twoMx();
        TestMx mx2 = f.mx(2, b -> b);
        SmtpDeliveryAgent agent = f.agent(TlsPolicySource.none());

        assertThat(byRecipient(agent.deliver(f.request("bob@example.test"))))
                .containsExactly(Map.entry("bob@example.test", new Outcome.Delivered("2.0.0", "250 Ok", MX2)));
        assertThat(mx2.received()).hasSize(1);

        // mx1 comes back: within the dead-host memory it is not tried again
        ScriptedSmtpServer mx1 = f.scripted(1, b -> b);
        assertThat(byRecipient(agent.deliver(f.request("carol@example.test"))).get("carol@example.test"))
                .isEqualTo(new Outcome.Delivered("2.0.0", "250 Ok", MX2));
        assertThat(mx1.conversations()).as("connections to the remembered dead host").isEmpty();
        assertThat(mx2.received()).hasSize(2);

        // once the memory has passed, mx1 is the best MX again
        f.clock.advance(Duration.ofMinutes(11));
        assertThat(byRecipient(agent.deliver(f.request("dave@example.test"))).get("dave@example.test"))
                .isEqualTo(new Outcome.Delivered("2.0.0", "250 2.0.0 Ok: queued", MX1));
        assertThat(mx1.conversations()).hasSize(1);
        assertThat(mx2.received()).hasSize(2);
    }

    /** RFC 5321 §4.5.4.1: the memory of dead hosts orders the attempts; it never leaves nothing to try. */
    @Test
    void triesARememberedDeadHostWhenItIsTheOnlyOne() throws IOException {
        oneMx();
        SmtpDeliveryAgent agent = f.agent(TlsPolicySource.none());

        // nothing listens at mx1: the connection is refused and mx1 is remembered as dead
        assertThat(byRecipient(agent.deliver(f.request("bob@example.test"))).get("bob@example.test"))
                .isInstanceOf(Outcome.Deferred.class);

        // mx1 comes back within the memory: as the only MX it is tried all the same
        TestMx mx1 = f.mx(1, b -> b);
        assertThat(byRecipient(agent.deliver(f.request("carol@example.test"))).get("carol@example.test"))
                .isInstanceOf(Outcome.Delivered.class);
        assertThat(mx1.received()).hasSize(1);
    }

    /** RFC 5321 §5.1 (SMTP-09): every address of every MX is tried until one answers. */
    @Test
    void triesEveryAddressOfEveryMx() throws IOException {
        f.zone("""
                @ MX 10 mx1
                @ MX 20 mx2
                mx1 A 127.0.0.2
                mx1 A 127.0.0.3
                mx2 A 127.0.0.4
                mx2 A 127.0.0.5
                """);
        TestMx last = f.mx(4, b -> b);
        SmtpDeliveryAgent agent = f.agent(TlsPolicySource.none());

        assertThat(byRecipient(agent.deliver(f.request("bob@example.test"))))
                .containsExactly(Map.entry("bob@example.test", new Outcome.Delivered("2.0.0", "250 Ok", MX2)));
        assertThat(last.received()).hasSize(1);
    }

    /** RFC 5321 §3.3 and §4.5.4.1 (SMTP-18): a 5xx to MAIL bounces that message, and only that message. */
    @Test
    void bouncesAMessageWhoseSenderTheMxRefuses() throws IOException {
        oneMx();
        ScriptedSmtpServer mx1 = f.scripted(1, b -> b.reply("MAIL FROM:<spammer@", "550 5.7.1 sender refused\r\n"));
        SmtpDeliveryAgent agent = f.agent(TlsPolicySource.none());

        Map<String, Outcome> refused = byRecipient(agent.deliver(f.request(BytesMessage.of(BODY), false, "spammer@sender.test",
                "bob@example.test", "carol@example.test")));
        Map<String, Outcome> next = byRecipient(agent.deliver(f.request("bob@example.test")));

        Outcome bounced = new Outcome.Bounced("5.7.1", "550 5.7.1 sender refused", MX1);
        assertThat(refused).containsExactly(Map.entry("bob@example.test", bounced), Map.entry("carol@example.test", bounced));
        assertThat(next).containsExactly(Map.entry("bob@example.test", new Outcome.Delivered("2.0.0", "250 2.0.0 Ok: queued", MX1)));
        assertThat(mx1.conversations()).flatExtracting(ScriptedSmtpServer.Conversation::messages).hasSize(1);
    }

    /** RFC 5321 §3.1: a server that greets with 554 takes no mail; QUIT and go to the next MX. */
    @Test
    void leavesAnMxThatGreetsWith554ForTheNext() throws IOException {
        f.twoMx();
        ScriptedSmtpServer mx1 = f.scripted(1, b -> b.greeting("554 5.7.1 no service here\r\n"));
        TestMx mx2 = f.mx(2, b -> b);
        SmtpDeliveryAgent agent = f.agent(TlsPolicySource.none());

        assertThat(byRecipient(agent.deliver(f.request("bob@example.test"))))
                .containsExactly(Map.entry("bob@example.test", new Outcome.Delivered("2.0.0", "250 Ok", MX2)));
        ScriptedSmtpServer.Conversation c = mx1.conversations().get(0);
        await().atMost(Duration.ofSeconds(5)).until(c::closed);
        assertThat(c.lines()).containsExactly("QUIT");
        assertThat(mx2.received()).hasSize(1);
    }

    /** RFC 5321 §4.5.4.1: a pooled connection the server has closed is replaced, and nothing is lost. */
    @Test
    void opensAFreshConnectionWhenThePooledOneWasClosed() throws IOException {
        oneMx();
        TestMx first = f.mx(1, b -> b);
        SmtpDeliveryAgent agent = f.agent(TlsPolicySource.none());
        assertThat(byRecipient(agent.deliver(f.request("bob@example.test"))).get("bob@example.test"))
                .isInstanceOf(Outcome.Delivered.class);

        // the MX restarts: every connection it had is gone
        first.close();
        TestMx second = f.mx(1, b -> b);

        assertThat(byRecipient(agent.deliver(f.request("carol@example.test"))))
                .containsExactly(Map.entry("carol@example.test", new Outcome.Delivered("2.0.0", "250 Ok", MX1)));
        assertThat(second.received()).singleElement().satisfies(r -> {
            assertThat(r.recipients()).containsExactly("carol@example.test");
            assertThat(r.text()).isEqualTo(BODY);
        });
    }

    /**
     * RFC 5321 §3.8 and §4.2: a reply nobody asked for (an idle "421" before the server hangs up)
     * must not be taken for the answer to the next MAIL; the idle session is dropped instead.
     */
    @Test
    void dropsAPooledSessionThatSentAnUnsolicitedReply() throws IOException {
        oneMx();
        ScriptedSmtpServer mx1 = f.scripted(1, b -> b.reply("DATA", "250 2.0.0 Ok: queued\r\n421 4.4.2 idle too long\r\n"));
        SmtpDeliveryAgent agent = f.agent(TlsPolicySource.none());

        Outcome first = byRecipient(agent.deliver(f.request("bob@example.test"))).get("bob@example.test");
        Outcome second = byRecipient(agent.deliver(f.request("carol@example.test"))).get("carol@example.test");

        assertThat(first).isEqualTo(new Outcome.Delivered("2.0.0", "250 2.0.0 Ok: queued", MX1));
        assertThat(second).isEqualTo(new Outcome.Delivered("2.0.0", "250 2.0.0 Ok: queued", MX1));
        assertThat(mx1.conversations()).hasSize(2);
    }

    /** RFC 5321 §4.5.5: a bounce goes out with the null reverse-path, as it came. */
    @Test
    void sendsTheNullReversePath() throws IOException {
        oneMx();
        TestMx mx1 = f.mx(1, b -> b);
        SmtpDeliveryAgent agent = f.agent(TlsPolicySource.none());
        relay.core.mail.MailAddress bob = relay.core.mail.MailAddress.parse("bob@example.test", false);
        relay.core.delivery.DeliveryRequest dsn = new relay.core.delivery.DeliveryRequest(f.request("bob@example.test").id(),
                new relay.core.mail.Envelope(Optional.empty(), List.of(bob), false, false), bob.domain(), List.of(bob),
                BytesMessage.of(BODY), 1);

        assertThat(byRecipient(agent.deliver(dsn)).get("bob@example.test")).isInstanceOf(Outcome.Delivered.class);
        assertThat(mx1.received()).singleElement().satisfies(r -> assertThat(r.sender()).isEmpty());
    }

    /** RFC 1870 §6: a message larger than the server's fixed maximum is refused before MAIL; SIZE goes with MAIL. */
    @Test
    void respectsTheServersSizeLimit() throws IOException {
        oneMx();
        ScriptedSmtpServer mx1 = f.scripted(1, b -> b.extensions("PIPELINING", "SIZE 100"));
        SmtpDeliveryAgent agent = f.agent(TlsPolicySource.none());
        byte[] small = "Subject: small\r\n\r\nhi\r\n".getBytes(StandardCharsets.US_ASCII);

        Outcome big = byRecipient(agent.deliver(f.request("bob@example.test"))).get("bob@example.test");
        Outcome fits = byRecipient(agent.deliver(f.request(new BytesMessage(small), false, "alice@sender.test",
                "bob@example.test"))).get("bob@example.test");

        assertThat(big).isInstanceOf(Outcome.Bounced.class);
        assertThat(big.status()).isEqualTo("5.3.4");
        assertThat(big.diagnostic()).contains(Integer.toString(BODY.length())).contains("100");
        assertThat(fits).isInstanceOf(Outcome.Delivered.class);
        assertThat(mx1.conversations()).flatExtracting(ScriptedSmtpServer.Conversation::lines)
                .filteredOn(l -> l.startsWith("MAIL")).containsExactly("MAIL FROM:<alice@sender.test> SIZE=" + small.length);
    }

    /** RFC 5321 §5.1 (SMTP-07): when MX records exist, the domain's own A record is never used. */
    @Test
    void neverFallsBackToTheDomainsAddressWhenItHasMx() throws IOException {
        f.zone("""
                @ MX 10 mx1
                @ A 127.0.0.3
                mx1 A 127.0.0.2
                """);
        TestMx domainHost = f.mx(2, b -> b);
        SmtpDeliveryAgent agent = f.agent(TlsPolicySource.none());

        Outcome o = byRecipient(agent.deliver(f.request("bob@example.test"))).get("bob@example.test");

        assertThat(o).isInstanceOf(Outcome.Deferred.class);
        assertThat(o.status()).isEqualTo("4.4.1");
        assertThat(o.diagnostic()).contains("mx1.example.test");
        assertThat(domainHost.connections()).isZero();
    }

    /** RFC 5321 §4.2.1: a 4xx to RCPT defers with the remote reply; the next attempt delivers. */
    @Test
    void defersOnA4xxToRcptAndDeliversNextTime() throws IOException {
        oneMx();
        TestMx mx1 = f.mx(1, b -> b);
        mx1.rejectRecipient("bob@example.test", 451, "4.7.1 greylisted, try again later", 1);
        SmtpDeliveryAgent agent = f.agent(TlsPolicySource.none());

        assertThat(byRecipient(agent.deliver(f.request("bob@example.test")))).containsExactly(Map.entry("bob@example.test",
                new Outcome.Deferred("4.7.1", "451 4.7.1 greylisted, try again later", MX1)));
        assertThat(mx1.received()).isEmpty();

        assertThat(byRecipient(agent.deliver(f.request("bob@example.test")))).containsExactly(Map.entry("bob@example.test",
                new Outcome.Delivered("2.0.0", "250 Ok", MX1)));
        assertThat(mx1.received()).singleElement().satisfies(r -> assertThat(r.recipients()).containsExactly("bob@example.test"));
    }

    /** RFC 5321 §4.2.1: a 4xx after the final dot defers every recipient of the transaction. */
    @Test
    void defersOnA4xxAfterDataAndDeliversNextTime() throws IOException {
        oneMx();
        TestMx mx1 = f.mx(1, b -> b);
        mx1.rejectData(452, "4.3.1 insufficient system storage", 1);
        SmtpDeliveryAgent agent = f.agent(TlsPolicySource.none());

        Outcome deferred = new Outcome.Deferred("4.3.1", "452 4.3.1 insufficient system storage", MX1);
        assertThat(byRecipient(agent.deliver(f.request("bob@example.test", "carol@example.test"))))
                .containsExactly(Map.entry("bob@example.test", deferred), Map.entry("carol@example.test", deferred));
        assertThat(mx1.received()).isEmpty();

        assertThat(byRecipient(agent.deliver(f.request("bob@example.test", "carol@example.test"))).values())
                .allSatisfy(o -> assertThat(o).isEqualTo(new Outcome.Delivered("2.0.0", "250 Ok", MX1)));
        assertThat(mx1.received()).singleElement().satisfies(r -> {
            assertThat(r.recipients()).containsExactly("bob@example.test", "carol@example.test");
            assertThat(r.text()).isEqualTo(BODY);
        });
    }

    /** RFC 5321 §3.3: a 5xx to one RCPT bounces that recipient; the others go in the same transaction. */
    @Test
    void bouncesOnlyTheRecipientThatGotA5xx() throws IOException {
        oneMx();
        TestMx mx1 = f.mx(1, b -> b);
        mx1.rejectRecipient("nobody@example.test", 550, "5.1.1 <nobody@example.test>: user unknown", Integer.MAX_VALUE);
        SmtpDeliveryAgent agent = f.agent(TlsPolicySource.none());

        Map<String, Outcome> out = byRecipient(agent.deliver(f.request("nobody@example.test", "bob@example.test")));

        assertThat(out).containsExactly(
                Map.entry("nobody@example.test", new Outcome.Bounced("5.1.1", "550 5.1.1 <nobody@example.test>: user unknown", MX1)),
                Map.entry("bob@example.test", new Outcome.Delivered("2.0.0", "250 Ok", MX1)));
        assertThat(mx1.mailCommands()).isEqualTo(1);
        assertThat(mx1.received()).singleElement().satisfies(r -> {
            assertThat(r.recipients()).containsExactly("bob@example.test");
            assertThat(r.text()).isEqualTo(BODY);
        });
    }

    /** RFC 2920: with PIPELINING, MAIL, RCPTs and DATA go in one write and each reply settles its command. */
    @Test
    void pipelinesTheEnvelopeWhenOffered() throws IOException {
        oneMx();
        ScriptedSmtpServer mx1 = f.scripted(1, b -> b.reply("RCPT TO:<nobody@", "550 5.1.1 no such user\r\n"));
        SmtpDeliveryAgent agent = f.agent(TlsPolicySource.none());

        Map<String, Outcome> out = byRecipient(agent.deliver(f.request("bob@example.test", "nobody@example.test")));

        assertThat(out).containsExactly(
                Map.entry("bob@example.test", new Outcome.Delivered("2.0.0", "250 2.0.0 Ok: queued", MX1)),
                Map.entry("nobody@example.test", new Outcome.Bounced("5.1.1", "550 5.1.1 no such user", MX1)));
        agent.close();
        ScriptedSmtpServer.Conversation c = mx1.conversations().get(0);
        await().atMost(Duration.ofSeconds(5)).until(c::closed);
        assertThat(c.lines()).containsExactly("EHLO relay.example.test", "MAIL FROM:<alice@sender.test>",
                "RCPT TO:<bob@example.test>", "RCPT TO:<nobody@example.test>", "DATA", "QUIT");
        assertThat(c.messages()).singleElement().satisfies(m -> assertThat(new String(m, StandardCharsets.UTF_8)).isEqualTo(BODY));
    }

    /** RFC 5321 §3.3: without PIPELINING each command waits for its reply, and no DATA follows when no RCPT was accepted. */
    @Test
    void withoutPipeliningSendsNoDataWhenEveryRecipientIsRefused() throws IOException {
        oneMx();
        ScriptedSmtpServer mx1 = f.scripted(1, b -> b.extensions("8BITMIME").reply("RCPT TO:", "550 5.1.1 no such user\r\n"));
        SmtpDeliveryAgent agent = f.agent(TlsPolicySource.none());

        Map<String, Outcome> out = byRecipient(agent.deliver(f.request("bob@example.test", "nobody@example.test")));

        assertThat(out.values()).allSatisfy(o -> assertThat(o).isEqualTo(new Outcome.Bounced("5.1.1", "550 5.1.1 no such user", MX1)));
        agent.close();
        ScriptedSmtpServer.Conversation c = mx1.conversations().get(0);
        await().atMost(Duration.ofSeconds(5)).until(c::closed);
        assertThat(c.lines()).doesNotContain("DATA").startsWith("EHLO relay.example.test", "MAIL FROM:<alice@sender.test>",
                "RCPT TO:<bob@example.test>", "RCPT TO:<nobody@example.test>", "RSET");
        assertThat(c.messages()).isEmpty();
    }

    /** RFC 5321 §4.5.4.1: several messages to one destination share one connection. */
    @Test
    void reusesOneConnectionForSeveralMessages() throws IOException {
        oneMx();
        TestMx mx1 = f.tlsMx(1);
        SmtpDeliveryAgent agent = f.agent(OutboundFixture.verified());

        for (String rcpt : List.of("bob@example.test", "carol@example.test", "dave@example.test")) {
            assertThat(byRecipient(agent.deliver(f.request(rcpt))).get(rcpt)).isEqualTo(new Outcome.Delivered("2.0.0", "250 Ok", MX1));
        }

        assertThat(mx1.connections()).isEqualTo(1);
        assertThat(mx1.received()).extracting(TestMx.Received::recipients)
                .containsExactly(List.of("bob@example.test"), List.of("carol@example.test"), List.of("dave@example.test"));
        assertThat(mx1.received()).allSatisfy(r -> assertThat(r.tls()).isTrue());
    }

    /** A session opened under a weaker policy (unverified TLS) never carries mail that needs a verified one. */
    @Test
    void neverReusesAnUnverifiedSessionForAVerifiedDelivery() throws IOException {
        f.zone("""
                @ MX 10 mx1
                strict MX 10 mx1
                mx1 A 127.0.0.2
                """);
        TestMx mx1 = f.mx(1, b -> b.tls(relay.core.testing.TestPki.create("Unknown CA").issue("mx1.example.test").serverContext()));
        TlsPolicySource policies = d -> d.name().equals("strict.example.test")
                ? new TransportPolicy(TlsRequirement.VERIFIED, mx -> true, "test")
                : TransportPolicy.opportunistic();
        SmtpDeliveryAgent agent = f.agent(policies);

        assertThat(byRecipient(agent.deliver(f.request("bob@example.test"))).get("bob@example.test"))
                .isInstanceOf(Outcome.Delivered.class);
        Outcome strict = byRecipient(agent.deliver(f.request("bob@strict.example.test"))).get("bob@strict.example.test");

        assertThat(strict).isInstanceOf(Outcome.Deferred.class);
        assertThat(strict.status()).isEqualTo("4.7.5");
        assertThat(mx1.received()).extracting(TestMx.Received::recipients).containsExactly(List.of("bob@example.test"));
    }

    /** RFC 8461 §4.1/§5: an MX the policy does not list is never contacted, and never a fallback. */
    @Test
    void skipsMxHostsThePolicyRejects() throws IOException {
        f.twoMx();
        TestMx mx1 = f.mx(1, b -> b);
        TestMx mx2 = f.mx(2, b -> b);
        SmtpDeliveryAgent agent = f.agent(d -> new TransportPolicy(TlsRequirement.OPPORTUNISTIC,
                mx -> !mx.name().equals("mx1.example.test"), "test"));

        assertThat(byRecipient(agent.deliver(f.request("bob@example.test"))))
                .containsExactly(Map.entry("bob@example.test", new Outcome.Delivered("2.0.0", "250 Ok", MX2)));
        assertThat(mx1.connections()).isZero();
        assertThat(mx2.received()).singleElement().satisfies(r -> assertThat(r.text()).isEqualTo(BODY));
    }

    /** RFC 8461 §5 and RFC 3464 §2.3.5: no permitted MX defers, with no Remote-MTA because none was contacted. */
    @Test
    void defersWhenThePolicyRejectsEveryMx() throws IOException {
        f.twoMx();
        TestMx mx1 = f.mx(1, b -> b);
        TestMx mx2 = f.mx(2, b -> b);
        SmtpDeliveryAgent agent = f.agent(d -> new TransportPolicy(TlsRequirement.VERIFIED, mx -> false, "mta-sts enforce",
                new ReportedPolicy(ReportedPolicy.Type.STS, List.of("version: STSv1"), List.of("other.test"), "1")));

        Outcome o = byRecipient(agent.deliver(f.request("bob@example.test"))).get("bob@example.test");

        assertThat(o).isInstanceOf(Outcome.Deferred.class);
        assertThat(o.status()).isEqualTo("4.7.5");
        assertThat(o.diagnostic()).startsWith("MTA-STS: MX ").contains("not listed in the policy");
        assertThat(o.remoteMta()).isEmpty();
        assertThat(mx1.connections() + mx2.connections()).isZero();
    }

    private static TransportPolicy enforceNoMx() {
        return new TransportPolicy(TlsRequirement.VERIFIED, mx -> false, "mta-sts enforce",
                new ReportedPolicy(ReportedPolicy.Type.STS, List.of("version: STSv1"), List.of("other.test"), "1"));
    }

    /** A source whose policy rejects every MX and whose §5.1 re-check answers as told, counting calls. */
    private static final class RecheckingSource implements TlsPolicySource {
        private final PolicyRecheck answer;
        private int rechecks;

        RecheckingSource(PolicyRecheck answer) {
            this.answer = answer;
        }

        @Override
        public TransportPolicy policyFor(Domain domain) {
            return enforceNoMx();
        }

        @Override
        public PolicyRecheck recheck(Domain domain) {
            rechecks++;
            return answer;
        }
    }

    private static DeliveryRequest last(DeliveryRequest r) {
        return new DeliveryRequest(r.id(), r.envelope(), r.domain(), r.recipients(), r.message(), r.attempt(), true);
    }

    /** RFC 8461 §5.1 (STS-61): on the last attempt a changed policy is fetched and the delivery made under it at once. */
    @Test
    void theLastAttemptRechecksThePolicyAndDeliversUnderTheNewOne() throws IOException {
        oneMx();
        TestMx mx1 = f.tlsMx(1);
        RecheckingSource source = new RecheckingSource(new PolicyRecheck.Changed(
                new TransportPolicy(TlsRequirement.VERIFIED, mx -> true, "mta-sts enforce"), "new policy id 2"));
        SmtpDeliveryAgent agent = f.agent(source);

        Outcome o = byRecipient(agent.deliver(last(f.request("bob@example.test")))).get("bob@example.test");

        assertThat(o).isInstanceOf(Outcome.Delivered.class);
        assertThat(source.rechecks).isEqualTo(1);
        assertThat(mx1.received()).hasSize(1);
    }

    /** STS-65: an attempt inside the lifetime does not re-check (the cache and the TXT lookup suffice). */
    @Test
    void anAttemptInsideTheLifetimeDoesNotRecheck() throws IOException {
        oneMx();
        RecheckingSource source = new RecheckingSource(new PolicyRecheck.Changed(TransportPolicy.opportunistic(), "x"));
        SmtpDeliveryAgent agent = f.agent(source);

        Outcome o = byRecipient(agent.deliver(f.request("bob@example.test"))).get("bob@example.test");

        assertThat(o).isInstanceOf(Outcome.Deferred.class);
        assertThat(((Outcome.Deferred) o).expiry()).isEqualTo(Outcome.Expiry.BOUNCE_AT_LIFETIME);
        assertThat(source.rechecks).isZero();
    }

    /** STS-65: the id is unchanged, so the normal rules apply and the deferral may become a bounce. */
    @Test
    void anUnchangedPolicyLeavesTheDeferralToBounce() throws IOException {
        oneMx();
        RecheckingSource source = new RecheckingSource(new PolicyRecheck.Unchanged("policy id 1 unchanged"));

        Outcome o = byRecipient(f.agent(source).deliver(last(f.request("bob@example.test")))).get("bob@example.test");

        assertThat(((Outcome.Deferred) o).expiry()).isEqualTo(Outcome.Expiry.BOUNCE_AT_LIFETIME);
        assertThat(source.rechecks).isEqualTo(1);
    }

    /** STS-61: when DNS cannot answer the re-check, the deferral says the bounce must wait. */
    @Test
    void aRecheckDnsCouldNotAnswerHoldsTheBounce() throws IOException {
        oneMx();
        RecheckingSource source = new RecheckingSource(new PolicyRecheck.NotChecked("SERVFAIL"));

        Outcome o = byRecipient(f.agent(source).deliver(last(f.request("bob@example.test")))).get("bob@example.test");

        assertThat(((Outcome.Deferred) o).expiry()).isEqualTo(Outcome.Expiry.AWAIT_POLICY_CHECK);
        assertThat(o.status()).isEqualTo("4.7.5");
        assertThat(o.diagnostic()).contains("re-check failed: SERVFAIL");
    }

    /** RFC 5321 §4.1.3 and §5.1: an address literal is the host itself; no DNS, no MTA-STS (RFC 8461 §3.4). */
    @Test
    void deliversToAnAddressLiteralWithoutDns() throws IOException {
        TestMx mx1 = f.mx(1, b -> b);
        int queries = f.dns.queries();

        Outcome o = f.agent(TlsPolicySource.none()).deliver(f.request("bob@[127.0.0.2]")).get(0).outcome();

        assertThat(o).isInstanceOf(Outcome.Delivered.class);
        assertThat(mx1.received()).singleElement().satisfies(r -> assertThat(r.recipients()).containsExactly("bob@[127.0.0.2]"));
        assertThat(f.dns.queries()).isEqualTo(queries);
    }

    /** RFC 6531 §3.4: a message that needs SMTPUTF8 is never downgraded; an MX without it bounces it. */
    @Test
    void bouncesAMessageThatNeedsSmtpUtf8WhenTheMxLacksIt() throws IOException {
        oneMx();
        ScriptedSmtpServer mx1 = f.scripted(1, b -> b.extensions("PIPELINING", "8BITMIME"));
        SmtpDeliveryAgent agent = f.agent(TlsPolicySource.none());

        Outcome o = byRecipient(agent.deliver(f.request(BytesMessage.of("Subject: Grüße\r\n\r\nHallo\r\n"), true,
                "jörg@sender.test", "bob@example.test"))).get("bob@example.test");

        assertThat(o).isInstanceOf(Outcome.Bounced.class);
        assertThat(o.status()).isEqualTo("5.6.7");
        assertThat(o.diagnostic()).contains("SMTPUTF8");
        assertThat(o.remoteMta()).isEqualTo(MX1);
        ScriptedSmtpServer.Conversation c = mx1.conversations().get(0);
        await().atMost(Duration.ofSeconds(5)).until(c::closed);
        assertThat(c.lines()).containsExactly("EHLO relay.example.test", "QUIT");
    }

    /** RFC 6531 §3.4: to an MX that offers SMTPUTF8, the parameter goes with MAIL. */
    @Test
    void sendsSmtpUtf8WhenTheMxOffersIt() throws IOException {
        oneMx();
        ScriptedSmtpServer mx1 = f.scripted(1, b -> b.extensions("PIPELINING", "8BITMIME", "SMTPUTF8"));
        SmtpDeliveryAgent agent = f.agent(TlsPolicySource.none());

        Outcome o = byRecipient(agent.deliver(f.request(BytesMessage.of("Subject: Grüße\r\n\r\nHallo\r\n"), true,
                "jörg@sender.test", "bob@example.test"))).get("bob@example.test");

        assertThat(o).isInstanceOf(Outcome.Delivered.class);
        assertThat(mx1.conversations().get(0).lines()).contains("MAIL FROM:<jörg@sender.test> SMTPUTF8");
        assertThat(mx1.conversations().get(0).messages()).singleElement()
                .satisfies(m -> assertThat(new String(m, StandardCharsets.UTF_8)).isEqualTo("Subject: Grüße\r\n\r\nHallo\r\n"));
    }

    /**
     * About 200 KB of lines, placed so that the agent's 64 KiB reads split a CRLF and start a
     * chunk with a dot-line, and lines made of a single dot here and there.
     */
    private static byte[] largeBody() {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes("Subject: large\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        int line = 0;
        // the CR of a line end is the last byte of the first chunk, its LF the first of the second
        fillUpTo(b, 65535, line++);
        b.writeBytes("\r\n.dot-line right after a split CRLF\r\n".getBytes(StandardCharsets.US_ASCII));
        // a dot-line starting exactly at the third chunk
        fillUpTo(b, 131070, line++);
        b.writeBytes("\r\n.\r\n..\r\n".getBytes(StandardCharsets.US_ASCII));
        fillUpTo(b, 200_000, line);
        b.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        return b.toByteArray();
    }

    /** Writes full lines, then a partial one (no line end), so that the stream ends at exactly {@code size} bytes. */
    private static void fillUpTo(ByteArrayOutputStream b, int size, int seed) {
        String full = ("line " + seed + " ").repeat(10);
        while (size - b.size() > full.length() + 2 + 10) {
            b.writeBytes((full + "\r\n").getBytes(StandardCharsets.US_ASCII));
        }
        b.writeBytes("x".repeat(size - b.size()).getBytes(StandardCharsets.US_ASCII));
    }
}
