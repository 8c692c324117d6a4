package relay.sts.fetch;

import io.netty.channel.EventLoopGroup;
import relay.core.dns.Dns;
import relay.core.mail.Domain;
import relay.core.tls.CertificateVerifier;
import relay.sts.https.HttpsExchange;


/**
 * Fetches {@code https://mta-sts.<domain>/.well-known/mta-sts.txt} (RFC 8461 §3.2-3.3) with
 * Netty, resolving the host through the relay's own {@link Dns}, so tests and operators can
 * point it anywhere. SNI and the certificate check use the policy host's name (§3.3, §7.1). A
 * failure to connect to one address tries the next; anything after that ends the fetch.
 */
public final class PolicyFetcher {

    private final CertificateVerifier verifier;
    private final FetchSettings settings;
    private final HttpsExchange https;

    public PolicyFetcher(Dns dns, CertificateVerifier verifier, EventLoopGroup group, FetchSettings settings) {
        this.verifier = verifier;
        this.settings = settings;
        this.https = new HttpsExchange(dns, group);
    }

    /** The policy host of a policy domain: {@code mta-sts.<domain>} (§3.2), never a parent's. */
    public static String policyHost(Domain domain) {
        return "mta-sts." + domain.name();
    }

    public FetchResult fetch(Domain domain) {
        String host = policyHost(domain);
        return https.<FetchResult>exchange(host, settings.port(), settings.connectTimeout(), settings.totalTimeout(),
                "fetching the policy from " + host,
                result -> new FetchHandler(host, settings.port(), verifier, settings.maxBytes(), result),
                why -> new FetchResult.Failed(FetchResult.Failure.FETCH_ERROR, why));
    }
}
