package relay.core.outbound;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;
import javax.net.ssl.SSLException;
import org.slf4j.LoggerFactory;
import relay.core.policy.ReportedPolicy;
import relay.core.policy.TlsRequirement;
import relay.core.policy.TransportPolicy;
import relay.core.report.TlsResultType;
import relay.core.tls.CertificateVerdict;
import relay.core.tls.CertificateVerifier;

/**
 * Makes a connected session ready for MAIL under the TLS the policy demands: the greeting, EHLO
 * (HELO when refused), STARTTLS with SNI = the MX name and the certificate judged right after the
 * handshake (RFC 3207 §4.1: QUIT at once when a required check fails), EHLO again, and AUTH PLAIN
 * for a route. Says, for TLS reports, what the session's TLS came to (RFC 8460 §4.3).
 */
final class SessionSetup {

    /**
     * BoringSSL (netty-tcnative) where its native library loads, else the JDK's TLS. BoringSSL
     * does a handshake at a fraction of the JDK's CPU: it sends one key share where the JDK 17
     * client computes two (X25519 and P-256) and uses one.
     */
    static final SslProvider PROVIDER = io.netty.handler.ssl.OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;

    private final OutboundSettings settings;
    private final CertificateVerifier verifier;
    private final SslContext tls;

    SessionSetup(OutboundSettings settings, CertificateVerifier verifier) {
        this.settings = settings;
        this.verifier = verifier;
        try {
            // the handshake accepts any certificate; CertificateVerifier judges it afterwards, so
            // the verdict is known (and reportable) even where the policy does not require it
            this.tls = SslContextBuilder.forClient().sslProvider(PROVIDER)
                    .protocols("TLSv1.3", "TLSv1.2")
                    .trustManager(InsecureTrustManagerFactory.INSTANCE)
                    .endpointIdentificationAlgorithm(null)
                    .build();
        } catch (SSLException e) {
            throw new IllegalStateException("cannot set up TLS", e);
        }
        LoggerFactory.getLogger("relay.delivery").info("outbound TLS: {}", PROVIDER == SslProvider.OPENSSL
                ? io.netty.handler.ssl.OpenSsl.versionString() + " (netty-tcnative)"
                : "the JDK's (netty-tcnative unavailable: " + io.netty.handler.ssl.OpenSsl.unavailabilityCause() + ")");
    }

    /** A session ready for MAIL, or why not; {@code tls} is what TLS reports count (RFC 8460 §4.3). */
    record Opened(SmtpSession session, String verdict, Optional<HostFailure> failure, Optional<TlsOutcome> tls) {

        Opened(SmtpSession session, String verdict, Optional<HostFailure> failure) {
            this(session, verdict, failure, Optional.empty());
        }
    }

    record TlsOutcome(TlsResultType type, String detail) {
    }

    Opened negotiate(SmtpSession s, Optional<Route.Credentials> auth, TlsRequirement need, String mxName,
            TransportPolicy policy) throws IOException {
        Optional<String> remote = Optional.of(mxName);
        SmtpReply greeting = s.greeting();
        if (!greeting.positive()) {
            s.quit();
            return new Opened(s, "-", Optional.of(HostFailure.temporary(Classifier.status(greeting).replaceFirst("^5", "4"),
                    mxName + " greeted with " + greeting, remote)));
        }
        SmtpReply hello = s.hello(settings.heloName());
        if (!hello.positive()) {
            s.quit();
            return new Opened(s, "-", Optional.of(HostFailure.temporary("4.0.0", mxName + " refused EHLO/HELO: " + hello, remote)));
        }
        String verdict = "none";
        Optional<TlsOutcome> tlsResult = Optional.empty();
        if (need != TlsRequirement.NONE && s.offers("STARTTLS")) {
            SmtpReply r;
            try {
                r = s.startTls(tls, mxName);
            } catch (SmtpSession.TlsFailure e) {
                // RFC 8460 §4.3.1: a handshake that fails is a validation-failure; the connection is gone
                s.close();
                String by = need == TlsRequirement.VERIFIED ? requirer(policy) + ": " : "";
                return new Opened(s, "handshake-failed", Optional.of(HostFailure.temporary(
                        need == TlsRequirement.VERIFIED ? "4.7.5" : "4.4.2",
                        by + "TLS with " + mxName + " failed: " + e.getMessage(), remote)),
                        Optional.of(new TlsOutcome(TlsResultType.VALIDATION_FAILURE, e.getMessage())));
            }
            if (r.code() != 220) {
                tlsResult = Optional.of(new TlsOutcome(TlsResultType.STARTTLS_NOT_SUPPORTED, "STARTTLS refused: " + r));
                if (need == TlsRequirement.VERIFIED) {
                    s.quit();
                    return new Opened(s, "none", Optional.of(HostFailure.temporary("4.7.10",
                            requirer(policy) + ": " + mxName + " refused STARTTLS: " + r, remote)), tlsResult);
                }
            } else {
                CertificateVerdict v = verifier.verify(s.peerCertificates(), mxName);
                verdict = v.ok() ? "trusted" : v.resultType().replace("certificate-", "");
                tlsResult = Optional.of(reportable(v, policy));
                if (need == TlsRequirement.VERIFIED && !v.ok()) {
                    // RFC 3207 §4.1: decide right after the handshake, and leave with QUIT
                    s.quit();
                    return new Opened(s, verdict, Optional.of(HostFailure.temporary("4.7.5",
                            requirer(policy) + ": " + v.describe() + " for " + mxName, remote)), tlsResult);
                }
                hello = s.hello(settings.heloName());
                if (!hello.positive()) {
                    s.quit();
                    return new Opened(s, verdict, Optional.of(HostFailure.temporary("4.0.0",
                            mxName + " refused EHLO after STARTTLS: " + hello, remote)), tlsResult);
                }
            }
        } else if (need != TlsRequirement.NONE) {
            tlsResult = Optional.of(new TlsOutcome(TlsResultType.STARTTLS_NOT_SUPPORTED, ""));
            if (need == TlsRequirement.VERIFIED) {
                s.quit();
                return new Opened(s, "none", Optional.of(HostFailure.temporary("4.7.10",
                        requirer(policy) + ": " + mxName + " does not offer STARTTLS", remote)), tlsResult);
            }
        }
        if (auth.isPresent()) {
            Optional<HostFailure> authFailure = authenticate(s, auth.get(), mxName);
            if (authFailure.isPresent()) {
                s.quit();
                return new Opened(s, verdict, authFailure, tlsResult);
            }
        }
        return new Opened(s, verdict, Optional.empty(), tlsResult);
    }

    /**
     * RFC 8460 §4.3: the certificate checks count under an MTA-STS policy (any mode, §5 of RFC
     * 8461: testing reports too); with no policy a negotiated TLS session is a success, since no
     * policy asked for validation.
     */
    private static TlsOutcome reportable(CertificateVerdict v, TransportPolicy policy) {
        if (v.ok() || policy.reported().type() == ReportedPolicy.Type.NO_POLICY_FOUND) {
            return new TlsOutcome(TlsResultType.SUCCESS, "");
        }
        return new TlsOutcome(TlsResultType.of(v.resultType()), v.describe());
    }

    /** Who demanded the TLS that failed, for the DSN text: "MTA-STS", or the policy's name. */
    static String requirer(TransportPolicy policy) {
        return policy.enforced() ? "MTA-STS" : "TLS required by " + policy.source();
    }

    /** AUTH PLAIN (RFC 4616, RFC 4954), only inside TLS: credentials never cross in clear. */
    private Optional<HostFailure> authenticate(SmtpSession s, Route.Credentials c, String mxName) throws IOException {
        Optional<String> remote = Optional.of(mxName);
        if (!s.encrypted()) {
            return Optional.of(HostFailure.temporary("4.7.11", "not sending credentials to " + mxName + " without TLS", remote));
        }
        if (!s.capabilities().hasAuth("PLAIN")) {
            return Optional.of(HostFailure.temporary("4.7.8", mxName + " does not offer AUTH PLAIN", remote));
        }
        String token = Base64.getEncoder().encodeToString(("\0" + c.user() + "\0" + c.password()).getBytes(StandardCharsets.UTF_8));
        SmtpReply r = s.command("AUTH PLAIN " + token, settings.timeouts().command());
        if (r.code() != 235) {
            // a rejected password is an operator's problem to fix: defer, do not bounce the mail
            return Optional.of(HostFailure.temporary("4.7.8", mxName + " refused our credentials: " + r, remote));
        }
        return Optional.empty();
    }
}
