package relay.sts.report.mail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
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
     * Reads an unencrypted PKCS#8 RSA key in PEM ({@code -----BEGIN PRIVATE KEY-----}, as
     * {@code openssl genpkey -algorithm RSA} writes it).
     *
     * @throws IllegalArgumentException naming the file and what is wrong with it
     */
    public static DkimKey load(Domain domain, String selector, Path pemFile) {
        String pem;
        try {
            pem = Files.readString(pemFile, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the DKIM key " + pemFile + ": " + e.getMessage(), e);
        }
        int begin = pem.indexOf("-----BEGIN PRIVATE KEY-----");
        int end = pem.indexOf("-----END PRIVATE KEY-----");
        if (begin < 0 || end < begin) {
            throw new IllegalArgumentException("the DKIM key " + pemFile + " is not a PKCS#8 PEM private key "
                    + "(-----BEGIN PRIVATE KEY-----)");
        }
        String base64 = pem.substring(begin + "-----BEGIN PRIVATE KEY-----".length(), end).replaceAll("\\s", "");
        try {
            PrivateKey key = KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64)));
            return new DkimKey(domain, selector, key);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalArgumentException("the DKIM key " + pemFile + " is not an RSA private key: " + e.getMessage(), e);
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
