package relay.sts.report.mail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.util.Base64;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import relay.core.mail.Domain;

class DkimKeyTest {

    static final Domain RELAY = Domain.parse("relay.example");

    @TempDir
    Path dir;

    @BeforeAll
    static void keys() throws Exception {
        ReportMessageTest.keys();
    }

    private Path pem(byte[] pkcs8) throws IOException {
        String b64 = Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(pkcs8);
        Path f = dir.resolve("dkim.pem");
        Files.writeString(f, "-----BEGIN PRIVATE KEY-----\n" + b64 + "\n-----END PRIVATE KEY-----\n");
        return f;
    }

    @Test
    void aPemKeySignsAReportThatVerifies() throws Exception {
        DkimKey key = DkimKey.load(RELAY, "tlsrpt2026", pem(ReportMessageTest.keys.getPrivate().getEncoded()));
        byte[] message = ReportMessageTest.message(key);
        assertThat(ReportMessageTest.verify(message, ReportMessageTest.keyRecord(ReportMessageTest.keys))).hasSize(1);
    }

    @Test
    void notAPemKeyIsRefusedNamingTheFile() throws IOException {
        Path f = dir.resolve("junk.pem");
        Files.writeString(f, "hello\n");
        assertThatThrownBy(() -> DkimKey.load(RELAY, "s", f)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("junk.pem").hasMessageContaining("PKCS#8");
        assertThatThrownBy(() -> DkimKey.load(RELAY, "s", dir.resolve("missing.pem")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("missing.pem");
    }

    @Test
    void anEcKeyIsRefused() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(256);
        Path f = pem(g.generateKeyPair().getPrivate().getEncoded());
        assertThatThrownBy(() -> DkimKey.load(RELAY, "s", f)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not an RSA private key");
    }

    // RFC 6376 §3.1: selectors are dot-separated labels
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({"s1, true", "tlsrpt2026, true", "a.b-c, true", "'', false", "-x, false", "a..b, false", "a b, false", "a;b, false"})
    void selector(String selector, boolean ok) {
        if (ok) {
            assertThat(new DkimKey(RELAY, selector, ReportMessageTest.keys.getPrivate()).selector()).isEqualTo(selector);
        } else {
            assertThatThrownBy(() -> new DkimKey(RELAY, selector, ReportMessageTest.keys.getPrivate()))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }
}
