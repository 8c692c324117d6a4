package relay.core.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.cert.Certificate;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import relay.core.testing.TestPki;

/** The checks after the handshake (RFC 8461 §4.2, RFC 6125 §6, RFC 5280 §6), on certificates from a throwaway CA. */
class CertificateVerifierTest {

    private static final Instant NOW = Instant.now();
    private static final String MX = "mx1.example.test";

    private static TestPki pki;
    private static CertificateVerifier verifier;

    @BeforeAll
    static void ca() {
        pki = TestPki.create("Verifier Test CA");
        verifier = at(NOW);
    }

    private static CertificateVerifier at(Instant instant) {
        return new CertificateVerifier(Set.of(new TrustAnchor(pki.caCertificate(), null)), Clock.fixed(instant, ZoneOffset.UTC));
    }

    private static Certificate[] chain(TestPki.Leaf leaf) {
        return leaf.chain().toArray(new Certificate[0]);
    }

    private static TestPki.Leaf leaf(String... names) {
        return pki.issue(NOW.minus(Duration.ofDays(1)), NOW.plus(Duration.ofDays(30)), names);
    }

    @Test
    void trustsAValidCertificateForTheMx() {
        CertificateVerdict v = verifier.verify(chain(leaf(MX)), MX);

        assertThat(v).isEqualTo(new CertificateVerdict.Trusted());
        assertThat(v.ok()).isTrue();
        assertThat(v.resultType()).isEqualTo("success");
    }

    /** The server may leave out the root: the path ends at the trust anchor all the same. */
    @Test
    void trustsALeafSentWithoutItsRoot() {
        assertThat(verifier.verify(new Certificate[] {leaf(MX).certificate()}, MX).ok()).isTrue();
    }

    // RFC 6125 §6.4: the host name, in subjectAltName dNSName entries only

    @ParameterizedTest(name = "SAN {0} vs {1} -> {2}")
    @CsvSource({
        "mx1.example.test,          mx1.example.test,   true",
        "MX1.Example.Test,          mx1.example.test,   true",
        "mx1.example.test,          MX1.EXAMPLE.TEST,   true",
        "other.example.test,        mx1.example.test,   false",
        // the recipient domain is not the MX host (RFC 8461 §4.2: the MX name is the reference identifier)
        "example.test,              mx1.example.test,   false",
        // RFC 6125 §6.4.3: a wildcard stands for exactly one left-most label
        "*.example.test,            mx1.example.test,   true",
        "*.example.test,            a.mx1.example.test, false",
        "*.example.test,            example.test,       false",
        "m*.example.test,           mx1.example.test,   false",
    })
    void matchesTheMxName(String san, String host, boolean matches) {
        CertificateVerdict v = verifier.verify(chain(leaf(san)), host);

        if (matches) {
            assertThat(v.ok()).isTrue();
        } else {
            assertThat(v).isInstanceOf(CertificateVerdict.HostMismatch.class);
            assertThat(v.resultType()).isEqualTo("certificate-host-mismatch");
        }
    }

    @Test
    void matchesAnyOfSeveralNames() {
        assertThat(verifier.verify(chain(leaf("mx0.example.test", MX, "mx2.example.test")), MX).ok()).isTrue();
    }

    /** RFC 6125 §6.4.4 and RFC 8461 §4.2: the CN is never a fallback, even when there is no SAN at all. */
    @Test
    void aCertificateNamingTheHostOnlyInItsCnDoesNotMatch() {
        TestPki.Leaf cnOnly = pki.issue(NOW.minus(Duration.ofDays(1)), NOW.plus(Duration.ofDays(30)), MX, List.of(),
                KeyPurposeId.id_kp_serverAuth);
        assertThat(cnOnly.certificate().getSubjectX500Principal().getName()).isEqualTo("CN=" + MX);

        CertificateVerdict v = verifier.verify(chain(cnOnly), MX);

        assertThat(v).isInstanceOf(CertificateVerdict.HostMismatch.class);
    }

    /** RFC 6125 §6.4.4: a SAN for another name and a CN for the host: still no match. */
    @Test
    void aCnDoesNotRescueASanForAnotherName() {
        TestPki.Leaf leaf = pki.issue(NOW.minus(Duration.ofDays(1)), NOW.plus(Duration.ofDays(30)), MX,
                List.of("other.example.test"), KeyPurposeId.id_kp_serverAuth);

        assertThat(verifier.verify(chain(leaf), MX)).isInstanceOf(CertificateVerdict.HostMismatch.class);
    }

    // RFC 5280 §4.1.2.5 and §6.1.3: validity at the injected clock's time

    @Test
    void anExpiredCertificateIsExpired() {
        CertificateVerdict v = verifier.verify(chain(pki.issue(NOW.minus(Duration.ofDays(30)), NOW.minus(Duration.ofSeconds(1)), MX)), MX);

        assertThat(v).isInstanceOf(CertificateVerdict.Expired.class);
        assertThat(v.resultType()).isEqualTo("certificate-expired");
        assertThat(v.describe()).contains("expired");
    }

    @Test
    void aCertificateNotYetValidIsExpired() {
        CertificateVerdict v = verifier.verify(chain(pki.issue(NOW.plus(Duration.ofMinutes(5)), NOW.plus(Duration.ofDays(30)), MX)), MX);

        assertThat(v).isInstanceOf(CertificateVerdict.Expired.class);
        assertThat(v.describe()).contains("not valid before");
    }

    /** The clock decides, not the machine's time: the same certificate is expired for a verifier living later. */
    @Test
    void judgesValidityAtTheInjectedClock() {
        Certificate[] chain = chain(leaf(MX));

        assertThat(at(NOW.plus(Duration.ofDays(31))).verify(chain, MX)).isInstanceOf(CertificateVerdict.Expired.class);
        assertThat(at(NOW.minus(Duration.ofDays(2))).verify(chain, MX)).isInstanceOf(CertificateVerdict.Expired.class);
        assertThat(at(NOW.plus(Duration.ofDays(29))).verify(chain, MX).ok()).isTrue();
    }

    /**
     * Seen in the wild (AddTrust External CA Root, May 2020): a server still sends an expired
     * cross-certificate after its chain. RFC 5280 §6.1 checks the validity of the path's
     * certificates only; a valid path to a trusted root makes the certificate trusted.
     */
    @Test
    void ignoresAnExpiredExtraCertificateOffThePath() {
        X509Certificate stale = TestPki.create("Old Root").issue(NOW.minus(Duration.ofDays(400)), NOW.minus(Duration.ofDays(30)),
                "old.example.test").certificate();
        TestPki.Leaf leaf = leaf(MX);
        Certificate[] sent = {leaf.certificate(), pki.caCertificate(), stale};

        assertThat(verifier.verify(sent, MX)).isEqualTo(new CertificateVerdict.Trusted());
    }

    /**
     * A path once built is remembered (building it is most of a verified handshake's cost on our
     * side), but only within the validity of the certificates on it: an intermediate that expires
     * before the leaf ends the path, remembered or not.
     */
    @Test
    void aRememberedPathStillEndsWhenItsIntermediateExpires() {
        TestPki intermediate = pki.intermediate("Short Intermediate", NOW.minus(Duration.ofDays(2)), NOW.plus(Duration.ofDays(5)));
        Certificate[] sent = intermediate.issue(NOW.minus(Duration.ofDays(1)), NOW.plus(Duration.ofDays(30)), MX).chain()
                .toArray(new Certificate[0]);
        MutableTime time = new MutableTime(NOW);
        CertificateVerifier remembering = new CertificateVerifier(Set.of(new TrustAnchor(pki.caCertificate(), null)), time);

        assertThat(remembering.verify(sent, MX)).isEqualTo(new CertificateVerdict.Trusted());
        time.now = NOW.plus(Duration.ofDays(4));
        assertThat(remembering.verify(sent, MX)).isEqualTo(new CertificateVerdict.Trusted());
        time.now = NOW.plus(Duration.ofDays(6));
        assertThat(remembering.verify(sent, MX)).isInstanceOf(CertificateVerdict.Expired.class);
        // the same chain for another name is still judged by name
        time.now = NOW.plus(Duration.ofDays(4));
        assertThat(remembering.verify(sent, "mx2.example.test")).isInstanceOf(CertificateVerdict.HostMismatch.class);
    }

    /** A clock the test moves. */
    private static final class MutableTime extends Clock {
        volatile Instant now;

        MutableTime(Instant now) {
            this.now = now;
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }

    // RFC 5280 §6: a path to a trusted root; RFC 5280 §4.2.1.12: fit for a TLS server

    @Test
    void aCertificateFromAnUnknownCaIsNotTrusted() {
        CertificateVerdict v = verifier.verify(chain(TestPki.create("Unknown CA").issue(MX)), MX);

        assertThat(v).isInstanceOf(CertificateVerdict.NotTrusted.class);
        assertThat(v.resultType()).isEqualTo("certificate-not-trusted");
    }

    @Test
    void aSelfSignedLeafIsNotTrusted() {
        TestPki self = TestPki.create(MX);

        assertThat(verifier.verify(new Certificate[] {self.caCertificate()}, MX)).isInstanceOf(CertificateVerdict.NotTrusted.class);
    }

    @Test
    void aClientOnlyCertificateIsNotTrusted() {
        TestPki.Leaf client = pki.issue(NOW.minus(Duration.ofDays(1)), NOW.plus(Duration.ofDays(30)), MX, List.of(MX),
                KeyPurposeId.id_kp_clientAuth);

        CertificateVerdict v = verifier.verify(chain(client), MX);

        assertThat(v).isInstanceOf(CertificateVerdict.NotTrusted.class);
        assertThat(v.describe()).contains("server authentication");
    }

    @Test
    void anyExtendedKeyUsageCountsForAServer() {
        TestPki.Leaf any = pki.issue(NOW.minus(Duration.ofDays(1)), NOW.plus(Duration.ofDays(30)), MX, List.of(MX),
                KeyPurposeId.anyExtendedKeyUsage);

        assertThat(verifier.verify(chain(any), MX).ok()).isTrue();
    }

    @Test
    void noCertificateIsNotTrusted() {
        assertThat(verifier.verify(new Certificate[0], MX)).isInstanceOf(CertificateVerdict.NotTrusted.class);
        assertThat(verifier.verify(null, MX)).isInstanceOf(CertificateVerdict.NotTrusted.class);
    }
}
