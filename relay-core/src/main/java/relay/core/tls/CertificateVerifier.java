package relay.core.tls;

import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.KeyStore;
import java.security.cert.CertPathBuilder;
import java.security.MessageDigest;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathBuilderResult;
import java.security.cert.CertStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * Checks a server's certificate chain after the handshake (RFC 8461 §4.2, RFC 3207 §4.1): a PKIX
 * path to a trusted root (the JDK's roots plus any configured CA files), every certificate within
 * its validity at the injected clock's time, the leaf fit for TLS server authentication, and a
 * subjectAltName dNSName that names the host ({@link DnsIdMatcher}). Revocation is not checked.
 */
public final class CertificateVerifier {

    private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    private static final String ANY_EKU = "2.5.29.37.0";

    private final Set<TrustAnchor> anchors;
    private final Clock clock;

    public CertificateVerifier(Set<TrustAnchor> anchors, Clock clock) {
        this.anchors = Set.copyOf(anchors);
        this.clock = clock;
    }

    /** The JDK's default trust store plus {@code extra} CA certificates. */
    public static Set<TrustAnchor> jdkRootsPlus(List<X509Certificate> extra) {
        Set<TrustAnchor> anchors = new HashSet<>();
        try {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init((KeyStore) null);
            for (var tm : tmf.getTrustManagers()) {
                if (tm instanceof X509TrustManager x) {
                    for (X509Certificate c : x.getAcceptedIssuers()) {
                        anchors.add(new TrustAnchor(c, null));
                    }
                }
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot read the JDK's trust store", e);
        }
        extra.forEach(c -> anchors.add(new TrustAnchor(c, null)));
        return anchors;
    }

    public CertificateVerdict verify(Certificate[] presented, String host) {
        if (presented == null || presented.length == 0 || !(presented[0] instanceof X509Certificate)) {
            return new CertificateVerdict.NotTrusted("no certificate presented");
        }
        List<X509Certificate> chain = new ArrayList<>();
        for (Certificate c : presented) {
            if (c instanceof X509Certificate x) {
                chain.add(x);
            }
        }
        X509Certificate leaf = chain.get(0);
        Date now = Date.from(clock.instant());
        Optional<CertificateVerdict> leafValidity = validity(leaf, now);
        if (leafValidity.isPresent()) {
            return leafValidity.get();
        }
        try {
            List<String> eku = leaf.getExtendedKeyUsage();
            if (eku != null && !eku.contains(SERVER_AUTH) && !eku.contains(ANY_EKU)) {
                return new CertificateVerdict.NotTrusted("certificate is not for TLS server authentication");
            }
        } catch (java.security.cert.CertificateParsingException e) {
            return new CertificateVerdict.NotTrusted("unparsable extended key usage");
        }
        CertificateVerdict path = path(leaf, chain, now);
        if (!path.ok()) {
            // RFC 5280 §6.1.3: only the path's certificates must be within their validity, and the
            // path builder checked them; servers send extra ones (an expired cross-certificate, as
            // after the AddTrust root expired in 2020) that a valid path does not use. When there
            // is no path, an expired certificate in what was sent is the likelier reason.
            return chain.stream().skip(1).map(c -> validity(c, now)).flatMap(Optional::stream).findFirst().orElse(path);
        }
        if (!DnsIdMatcher.matches(leaf, host)) {
            return new CertificateVerdict.HostMismatch(host + " not in " + DnsIdMatcher.dnsNames(leaf));
        }
        return new CertificateVerdict.Trusted();
    }

    private static Optional<CertificateVerdict> validity(X509Certificate c, Date now) {
        try {
            c.checkValidity(now);
            return Optional.empty();
        } catch (CertificateExpiredException e) {
            return Optional.of(new CertificateVerdict.Expired(c.getSubjectX500Principal().getName() + " expired "
                    + c.getNotAfter().toInstant()));
        } catch (CertificateNotYetValidException e) {
            return Optional.of(new CertificateVerdict.Expired(c.getSubjectX500Principal().getName() + " not valid before "
                    + c.getNotBefore().toInstant()));
        }
    }

    /** Paths remembered at most; the least recently used goes first. */
    static final int REMEMBERED_PATHS = 1024;

    /**
     * Paths built, by the chain they were built from, with the time window in which every
     * certificate on the path is valid. Building a path is the costliest step of a verified
     * session on our side, and a host presents the same chain in every session.
     */
    private final Map<String, Window> paths = Collections.synchronizedMap(new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Window> eldest) {
            return size() > REMEMBERED_PATHS;
        }
    });

    private record Window(Instant from, Instant until) {
        boolean covers(Instant t) {
            return !t.isBefore(from) && !t.isAfter(until);
        }
    }

    private CertificateVerdict path(X509Certificate leaf, List<X509Certificate> chain, Date now) {
        Optional<String> key = key(chain);
        Window known = key.map(paths::get).orElse(null);
        if (known != null && known.covers(now.toInstant())) {
            return new CertificateVerdict.Trusted();
        }
        try {
            X509CertSelector target = new X509CertSelector();
            target.setCertificate(leaf);
            PKIXBuilderParameters params = new PKIXBuilderParameters(anchors, target);
            params.setRevocationEnabled(false);
            params.setDate(now);
            params.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(chain)));
            CertPathBuilderResult built = CertPathBuilder.getInstance("PKIX").build(params);
            key.ifPresent(k -> paths.put(k, window(built.getCertPath().getCertificates())));
            return new CertificateVerdict.Trusted();
        } catch (CertPathBuilderException e) {
            return new CertificateVerdict.NotTrusted("no path to a trusted root for " + leaf.getSubjectX500Principal().getName()
                    + " issued by " + leaf.getIssuerX500Principal().getName());
        } catch (InvalidAlgorithmParameterException e) {
            return new CertificateVerdict.NotTrusted("no trust anchors configured");
        } catch (GeneralSecurityException e) {
            return new CertificateVerdict.NotTrusted(e.getMessage());
        }
    }

    /** RFC 5280 §6.1.3 (a)(2): the path holds while every certificate on it is within its validity. */
    private static Window window(List<? extends Certificate> path) {
        Instant from = Instant.MIN;
        Instant until = Instant.MAX;
        for (Certificate c : path) {
            if (c instanceof X509Certificate x) {
                Instant notBefore = x.getNotBefore().toInstant();
                Instant notAfter = x.getNotAfter().toInstant();
                from = notBefore.isAfter(from) ? notBefore : from;
                until = notAfter.isBefore(until) ? notAfter : until;
            }
        }
        return new Window(from, until);
    }

    /** The SHA-256 of the chain's encodings, in the order sent; empty if one cannot be encoded. */
    private static Optional<String> key(List<X509Certificate> chain) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (X509Certificate c : chain) {
                byte[] der = c.getEncoded();
                sha.update((byte) (der.length >>> 24));
                sha.update((byte) (der.length >>> 16));
                sha.update((byte) (der.length >>> 8));
                sha.update((byte) der.length);
                sha.update(der);
            }
            return Optional.of(HexFormat.of().formatHex(sha.digest()));
        } catch (GeneralSecurityException e) {
            return Optional.empty();
        }
    }
}
