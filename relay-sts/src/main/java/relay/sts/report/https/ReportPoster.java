package relay.sts.report.https;

import io.netty.channel.EventLoopGroup;
import java.net.URI;
import relay.core.dns.Dns;
import relay.core.tls.CertificateVerifier;
import relay.sts.https.HttpsExchange;


/**
 * POSTs a gzipped report to an {@code https:} rua (RFC 8460 §5.4) with Netty, resolving the host
 * through the relay's own {@link Dns} and checking the certificate with the relay's
 * {@link CertificateVerifier} for the URI's host (SNI too). A failure to connect to one address
 * tries the next; anything after the connection is made ends the attempt.
 */
public final class ReportPoster {

    private final CertificateVerifier verifier;
    private final PostSettings settings;
    private final HttpsExchange https;

    public ReportPoster(Dns dns, CertificateVerifier verifier, EventLoopGroup group, PostSettings settings) {
        this.verifier = verifier;
        this.settings = settings;
        this.https = new HttpsExchange(dns, group);
    }

    /** POSTs {@code gzippedReport} to {@code uri} (an {@code https:} URI with a host). */
    public PostResult post(URI uri, byte[] gzippedReport) {
        if (!"https".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
            return new PostResult.Failed("not an https URI with a host: " + uri);
        }
        int port = uri.getPort() < 0 ? 443 : uri.getPort();
        CertificateVerifier check = settings.verifyCertificates() ? verifier : null;
        return https.<PostResult>exchange(uri.getHost(), port, settings.connectTimeout(), settings.totalTimeout(), "posting to " + uri,
                result -> new PostHandler(uri, port, check, gzippedReport, result), PostResult.Failed::new);
    }
}
