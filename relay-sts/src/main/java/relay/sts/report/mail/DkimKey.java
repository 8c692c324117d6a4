package relay.sts.report.mail;

import java.security.PrivateKey;
import java.util.Objects;
import java.util.regex.Pattern;
import relay.core.mail.Domain;

/**
 * The configured DKIM signing key for mailed reports (RFC 8460 §3, RPT-41): the signing domain
 * {@code d=}, the selector {@code s=} and the RSA private key. The public key is published at
 * {@code <selector>._domainkey.<domain>}; RPT-44, decided: publish it with {@code s=email:tlsrpt}
 * (or without {@code s=}), since a key with only {@code s=tlsrpt} must be ignored by ordinary
 * RFC 6376 verifiers.
 */
public record DkimKey(Domain domain, String selector, PrivateKey privateKey) {

    /** RFC 6376 §3.1: a selector is one or more dot-separated sub-domain labels. */
    private static final Pattern SELECTOR = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*");

    public DkimKey {
        Objects.requireNonNull(domain, "domain");
        Objects.requireNonNull(privateKey, "privateKey");
        if (selector == null || !SELECTOR.matcher(selector).matches()) {
            throw new IllegalArgumentException("invalid DKIM selector '" + selector + "'");
        }
        if (!"RSA".equals(privateKey.getAlgorithm())) {
            throw new IllegalArgumentException("the DKIM key must be RSA (rsa-sha256), not " + privateKey.getAlgorithm());
        }
    }

    /**
     * RFC 8460 §3 (RPT-41): the signature is by the reporting domain: {@code d=} is the
     * submitter domain itself or one of its parents.
     */
    public boolean covers(Domain submitter) {
        return submitter.equals(domain) || submitter.name().endsWith("." + domain.name());
    }
}
