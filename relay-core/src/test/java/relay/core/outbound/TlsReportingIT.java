package relay.core.outbound;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import relay.core.delivery.DeliveryRequest;
import relay.core.delivery.Outcome;
import relay.core.mail.Domain;
import relay.core.policy.ReportedPolicy;
import relay.core.policy.TlsPolicySource;
import relay.core.policy.TlsRequirement;
import relay.core.policy.TransportPolicy;
import relay.core.report.TlsReportRecorder;
import relay.core.report.TlsResultType;
import relay.core.report.TlsSessionResult;
import relay.core.testing.TestMx;
import relay.core.testing.TestPki;

/**
 * RFC 8460 §4: the agent records exactly one result per session that reached the TLS decision,
 * against the policy in force, with the session's addresses and the MX's names.
 */
class TlsReportingIT {

    private static final ReportedPolicy STS = new ReportedPolicy(ReportedPolicy.Type.STS,
            List.of("version: STSv1", "mode: enforce", "mx: *.example.test", "max_age: 86400"),
            List.of("*.example.test"), "20261122");

    private OutboundFixture f;
    private final List<TlsSessionResult> recorded = new CopyOnWriteArrayList<>();
    private final TlsReportRecorder recorder = recorded::add;

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
        f.close();
    }

    private SmtpDeliveryAgent agent(TlsRequirement tls, ReportedPolicy reported) {
        TlsPolicySource source = d -> new TransportPolicy(tls, mx -> true, "test", reported);
        return f.agent(source, List.of(), recorder);
    }

    private Outcome deliver(SmtpDeliveryAgent agent) {
        return agent.deliver(f.request("bob@example.test")).get(0).outcome();
    }

    @Test
    void aVerifiedSessionUnderAnStsPolicyIsOneSuccess() {
        f.tlsMx(1);

        assertThat(deliver(agent(TlsRequirement.VERIFIED, STS))).isInstanceOf(Outcome.Delivered.class);

        assertThat(recorded).singleElement().satisfies(r -> {
            assertThat(r.policyDomain()).isEqualTo(new Domain("example.test"));
            assertThat(r.policy()).isEqualTo(STS);
            assertThat(r.result()).isEqualTo(TlsResultType.SUCCESS);
            assertThat(r.receivingMxHostname()).contains("mx1.example.test");
            assertThat(r.receivingIp()).contains("127.0.0.2");
            assertThat(r.sendingMtaIp()).isPresent();
            assertThat(r.receivingMxHelo()).contains("mx1.example.test");
            assertThat(r.at()).isEqualTo(f.clock.instant());
        });
    }

    /** RFC 8460 §4.3.1 and RFC 8461 §5 (STS-59): testing delivers, and still counts the failure. */
    @Test
    void aWrongNameUnderTestingIsDeliveredAndCountedAsAHostMismatch() {
        f.mx(1, b -> b.tls(f.pki.issue("other.example.test").serverContext()));

        assertThat(deliver(agent(TlsRequirement.OPPORTUNISTIC, STS))).isInstanceOf(Outcome.Delivered.class);

        assertThat(recorded).singleElement().satisfies(r -> {
            assertThat(r.result()).isEqualTo(TlsResultType.CERTIFICATE_HOST_MISMATCH);
            assertThat(r.additionalInformation()).hasValueSatisfying(t -> assertThat(t).contains("mx1.example.test"));
        });
    }

    @Test
    void anUntrustedCertificateUnderEnforceIsDeferredAndCounted() {
        f.mx(1, b -> b.tls(TestPki.create("Unknown CA").issue("mx1.example.test").serverContext()));

        assertThat(deliver(agent(TlsRequirement.VERIFIED, STS))).isInstanceOf(Outcome.Deferred.class);

        assertThat(recorded).extracting(TlsSessionResult::result).containsExactly(TlsResultType.CERTIFICATE_NOT_TRUSTED);
    }

    @Test
    void noStartTlsIsCountedAsStartTlsNotSupported() {
        f.mx(1, b -> b);

        assertThat(deliver(agent(TlsRequirement.VERIFIED, STS))).isInstanceOf(Outcome.Deferred.class);

        assertThat(recorded).extracting(TlsSessionResult::result).containsExactly(TlsResultType.STARTTLS_NOT_SUPPORTED);
    }

    /** Decision: with no policy, a negotiated session is a success whatever the certificate (nobody asked). */
    @Test
    void withNoPolicyAnyNegotiatedTlsSessionIsASuccess() {
        f.mx(1, b -> b.tls(TestPki.create("Unknown CA").issue("mx1.example.test").serverContext()));

        assertThat(deliver(agent(TlsRequirement.OPPORTUNISTIC, ReportedPolicy.NO_POLICY_FOUND)))
                .isInstanceOf(Outcome.Delivered.class);

        assertThat(recorded).singleElement().satisfies(r -> {
            assertThat(r.policy().type()).isEqualTo(ReportedPolicy.Type.NO_POLICY_FOUND);
            assertThat(r.result()).isEqualTo(TlsResultType.SUCCESS);
        });
    }

    /** RFC 8460 §4.3.1: a handshake that fails after the 220 is a validation-failure, and under enforce it names MTA-STS. */
    @Test
    void aFailedHandshakeIsAValidationFailure() throws IOException {
        f.scripted(1, b -> b.extensions("PIPELINING", "STARTTLS").startTlsReply("220 go\r\n"));

        Outcome o = deliver(agent(TlsRequirement.VERIFIED, STS));

        assertThat(o).isInstanceOf(Outcome.Deferred.class);
        assertThat(o.status()).isEqualTo("4.7.5");
        assertThat(o.diagnostic()).startsWith("MTA-STS: TLS with mx1.example.test failed");
        assertThat(recorded).extracting(TlsSessionResult::result).containsExactly(TlsResultType.VALIDATION_FAILURE);
    }

    /** A reused connection is not a new session: one delivery, one count, however many messages. */
    @Test
    void aReusedSessionIsNotCountedAgain() {
        f.tlsMx(1);
        SmtpDeliveryAgent agent = agent(TlsRequirement.VERIFIED, STS);

        deliver(agent);
        deliver(agent);

        assertThat(recorded).hasSize(1);
    }

    /** A recorder that throws never costs a delivery. */
    @Test
    void aFailingRecorderDoesNotStopTheDelivery() {
        f.tlsMx(1);
        TlsPolicySource source = d -> new TransportPolicy(TlsRequirement.VERIFIED, mx -> true, "test", STS);
        SmtpDeliveryAgent agent = f.agent(source, List.of(), r -> {
            throw new IllegalStateException("disk full");
        });

        assertThat(deliver(agent)).isInstanceOf(Outcome.Delivered.class);
        assertThat(recorded).isEmpty();
    }

    /** RFC 8460 §4.3.1 (RPT-26): an expired MX certificate under an STS policy is certificate-expired. */
    @Test
    void anExpiredCertificateIsCountedAsCertificateExpired() {
        Instant now = f.clock.instant();
        f.mx(1, b -> b.tls(f.pki.issue(now.minus(Duration.ofDays(30)), now.minus(Duration.ofDays(1)), "mx1.example.test")
                .serverContext()));

        assertThat(deliver(agent(TlsRequirement.VERIFIED, STS))).isInstanceOf(Outcome.Deferred.class);

        assertThat(recorded).singleElement().satisfies(r -> {
            assertThat(r.result()).isEqualTo(TlsResultType.CERTIFICATE_EXPIRED);
            assertThat(r.policy()).isEqualTo(STS);
        });
    }

    /** RFC 8460 §4.3.4 (RPT-32), decided: a connection that fails before TLS is transient and not counted at all. */
    @Test
    void aRefusedConnectionIsNotCounted() {
        // nothing listens on mx1

        assertThat(deliver(agent(TlsRequirement.VERIFIED, STS))).isInstanceOf(Outcome.Deferred.class);

        assertThat(recorded).isEmpty();
    }

    /** RPT-32, decided: an MX that refuses the session in its greeting never reached TLS: not counted. */
    @Test
    void aGreetingRefusalIsNotCounted() throws IOException {
        f.scripted(1, b -> b.greeting("421 busy\r\n"));

        assertThat(deliver(agent(TlsRequirement.VERIFIED, STS))).isInstanceOf(Outcome.Deferred.class);

        assertThat(recorded).isEmpty();
    }

    /**
     * RPT-33, decided as the checklist recommends: under enforce an MX the policy does not list is
     * skipped before any connection (RFC 8461 §4.1), and counted as a validation-failure with the
     * reason code mx-not-in-sts-policy, so the domain learns its policy misses an MX.
     */
    @Test
    void anMxThePolicyDoesNotListIsSkippedAndCountedAsAValidationFailure() {
        TestMx mx1 = f.tlsMx(1);
        TlsPolicySource source = d -> new TransportPolicy(TlsRequirement.VERIFIED, mx -> false, "test", STS);

        assertThat(deliver(f.agent(source, List.of(), recorder))).isInstanceOf(Outcome.Deferred.class);

        assertThat(mx1.connections()).isZero();
        assertThat(recorded).singleElement().satisfies(r -> {
            assertThat(r.result()).isEqualTo(TlsResultType.VALIDATION_FAILURE);
            assertThat(r.additionalInformation()).contains("mx-not-in-sts-policy");
            assertThat(r.receivingMxHostname()).contains("mx1.example.test");
            assertThat(r.receivingIp()).isEmpty();
        });
    }

    /** RPT-33 under testing: the unlisted MX gets the mail, and the session counts as a validation-failure. */
    @Test
    void underTestingASessionToAnUnlistedMxIsAValidationFailure() {
        f.tlsMx(1);
        TlsPolicySource source = d -> new TransportPolicy(TlsRequirement.OPPORTUNISTIC, mx -> true, "mta-sts testing",
                STS, mx -> false);

        assertThat(deliver(f.agent(source, List.of(), recorder))).isInstanceOf(Outcome.Delivered.class);

        assertThat(recorded).singleElement().satisfies(r -> {
            assertThat(r.result()).isEqualTo(TlsResultType.VALIDATION_FAILURE);
            assertThat(r.additionalInformation()).contains("mx-not-in-sts-policy");
            assertThat(r.receivingIp()).contains("127.0.0.2");
        });
    }

    /**
     * RFC 8460 §3 (RPT-34) and RFC 8689 §5: a message with TLS-Required: No (every TLS report
     * carries it) is delivered past the policy and its session is not counted.
     */
    @Test
    void aSessionOfAMessageWithTlsRequiredNoIsNotCounted() {
        f.mx(1, b -> b.tls(TestPki.create("Unknown CA").issue("mx1.example.test").serverContext()));
        DeliveryRequest plain = f.request("bob@example.test");
        DeliveryRequest tlsOptional = new DeliveryRequest(plain.id(), plain.envelope().withTlsOptional(), plain.domain(),
                plain.recipients(), plain.message(), 1);

        Outcome o = agent(TlsRequirement.VERIFIED, STS).deliver(tlsOptional).get(0).outcome();

        assertThat(o).isInstanceOf(Outcome.Delivered.class);
        assertThat(recorded).isEmpty();
    }

    /** Decided (RPT-01): sessions to a configured delivery.routes next hop are not counted for anyone. */
    @Test
    void aSessionThroughARouteIsNotCounted() throws IOException {
        f.zone("""
                smarthost A 127.0.0.4
                """);
        f.mx(3, b -> b.hostName("smarthost.example.test").tls(f.pki.issue("smarthost.example.test").serverContext()));
        Route route = new Route("*", Domain.parse("smarthost.example.test"), f.port, TlsRequirement.VERIFIED, Optional.empty());
        TlsPolicySource source = d -> new TransportPolicy(TlsRequirement.VERIFIED, mx -> true, "test", STS);

        assertThat(f.agent(source, List.of(route), recorder).deliver(f.request("bob@example.test")).get(0).outcome())
                .isInstanceOf(Outcome.Delivered.class);

        assertThat(recorded).isEmpty();
    }

    /** RFC 8460 §4.3.1, §4.3.3 (RPT-27): certificate-not-trusted and validation-failure carry a reason. */
    @Test
    void untrustedAndFailedHandshakesCarryAReason() throws IOException {
        f.mx(1, b -> b.tls(TestPki.create("Unknown CA").issue("mx1.example.test").serverContext()));
        deliver(agent(TlsRequirement.VERIFIED, STS));
        f.close();
        f = new OutboundFixture();
        f.zone("""
                @ MX 10 mx1
                mx1 A 127.0.0.2
                """);
        f.scripted(1, b -> b.extensions("PIPELINING", "STARTTLS").startTlsReply("220 go\r\n"));
        deliver(agent(TlsRequirement.VERIFIED, STS));

        assertThat(recorded).extracting(TlsSessionResult::result)
                .containsExactly(TlsResultType.CERTIFICATE_NOT_TRUSTED, TlsResultType.VALIDATION_FAILURE);
        assertThat(recorded).allSatisfy(r -> assertThat(r.additionalInformation()).hasValueSatisfying(t -> assertThat(t).isNotBlank()));
    }
}
