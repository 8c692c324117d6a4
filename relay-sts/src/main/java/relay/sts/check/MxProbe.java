package relay.sts.check;

import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import javax.net.ssl.SSLException;
import relay.core.dns.Dns;
import relay.core.dns.MxHost;
import relay.core.outbound.SmtpReply;
import relay.core.outbound.SmtpSession;
import relay.core.outbound.SmtpTimeouts;
import relay.core.tls.CertificateVerdict;
import relay.core.tls.CertificateVerifier;

/**
 * Probes one MX host as a sender would before sending (RFC 8461 §4.2, RFC 3207): connect to its
 * addresses in turn until one answers, EHLO, STARTTLS with SNI = the MX host name, TLS 1.2 or
 * newer, then the certificate check against the MX host name; QUIT, never MAIL. The handshake
 * accepts any certificate so that {@link CertificateVerifier} can say what is wrong with it.
 */
public final class MxProbe {

    private final Dns dns;
    private final CertificateVerifier verifier;
    private final EventLoopGroup group;
    private final SmtpTimeouts timeouts;
    private final int port;
    private final String heloName;
    private final SslContext tls;

    /**
     * @param port the SMTP port of MX hosts: 25 on the Internet ({@code delivery.port})
     * @param heloName the name to say in EHLO
     */
    public MxProbe(Dns dns, CertificateVerifier verifier, EventLoopGroup group, SmtpTimeouts timeouts, int port,
            String heloName) {
        this.dns = dns;
        this.verifier = verifier;
        this.group = group;
        this.timeouts = timeouts;
        this.port = port;
        this.heloName = heloName;
        try {
            this.tls = SslContextBuilder.forClient().sslProvider(SslProvider.JDK).protocols("TLSv1.3", "TLSv1.2")
                    .trustManager(InsecureTrustManagerFactory.INSTANCE).endpointIdentificationAlgorithm(null).build();
        } catch (SSLException e) {
            throw new IllegalStateException("cannot set up TLS", e);
        }
    }

    /** Probes {@code mx}; {@code listed} is the policy's MX match, carried into the result. */
    public MxCheck probe(MxHost mx, boolean listed) {
        String host = mx.name().name();
        Dns.Addresses addresses = dns.addresses(host);
        if (addresses.list().isEmpty()) {
            return failed(mx, listed, null, addresses.lookupFailure().map(why -> "address lookup failed: " + why)
                    .orElse("no address (A or AAAA) records"));
        }
        String lastError = null;
        String lastAddress = null;
        for (InetAddress a : addresses.list()) {
            InetSocketAddress address = new InetSocketAddress(a, port);
            lastAddress = a.getHostAddress() + ":" + port;
            SmtpSession session;
            try {
                session = SmtpSession.connect(group, address, timeouts);
            } catch (IOException e) {
                // Netty writes the address as "/127.0.0.2:25"
                lastError = "cannot connect: " + String.valueOf(e.getMessage()).replace("/" + a.getHostAddress(),
                        a.getHostAddress());
                continue;
            }
            try {
                return converse(mx, listed, session, lastAddress);
            } finally {
                session.quit();
            }
        }
        return failed(mx, listed, lastAddress, lastError);
    }

    private MxCheck converse(MxHost mx, boolean listed, SmtpSession session, String address) {
        String host = mx.name().name();
        try {
            SmtpReply greeting = session.greeting();
            if (!greeting.positive()) {
                return failed(mx, listed, address, "greeting refused: " + greeting);
            }
            SmtpReply ehlo = session.hello(heloName);
            if (!ehlo.positive()) {
                return failed(mx, listed, address, "EHLO refused: " + ehlo);
            }
            if (!session.offers("STARTTLS")) {
                return noTls(mx, listed, address, "starttls-not-supported", "STARTTLS not offered");
            }
            SmtpReply r = session.startTls(tls, host);
            if (r.code() != 220) {
                return noTls(mx, listed, address, "starttls-not-supported", "STARTTLS refused: " + r);
            }
        } catch (SmtpSession.TlsFailure e) {
            return noTls(mx, listed, address, "validation-failure", e.getMessage());
        } catch (IOException e) {
            return failed(mx, listed, address, e.getMessage());
        }
        CertificateVerdict verdict = verifier.verify(session.peerCertificates(), host);
        return new MxCheck(host, mx.preference(), listed, address, true, session.tlsProtocol(), verdict.describe(),
                verdict.resultType(), null, listed && verdict.ok());
    }

    private static MxCheck noTls(MxHost mx, boolean listed, String address, String resultType, String why) {
        return new MxCheck(mx.name().name(), mx.preference(), listed, address, false, null, null, resultType, why, false);
    }

    private static MxCheck failed(MxHost mx, boolean listed, String address, String why) {
        return new MxCheck(mx.name().name(), mx.preference(), listed, address, false, null, null, null, why, false);
    }
}
