package relay.core.outbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslProvider;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The outbound client runs on BoringSSL wherever the relay ships a native library for it (Linux
 * on x86_64 and aarch64): falling back to the JDK's TLS would still work, but at several times
 * the CPU per handshake and with few sessions resumed, so a broken native dependency must fail
 * here rather than show up as a slow relay.
 */
class TlsProviderTest {

    @Test
    void boringSslIsLoadedOnThePlatformsTheRelayShipsItFor() {
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        assumeTrue(os.contains("linux") && Set.of("amd64", "x86_64", "aarch64").contains(arch),
                "no native TLS library is shipped for " + os + "/" + arch);

        assertThat(OpenSsl.unavailabilityCause()).isNull();
        assertThat(SessionSetup.PROVIDER).isEqualTo(SslProvider.OPENSSL);
        assertThat(OpenSsl.versionString()).startsWith("BoringSSL");
        assertThat(SslProvider.isTlsv13Supported(SslProvider.OPENSSL)).isTrue();
    }
}
