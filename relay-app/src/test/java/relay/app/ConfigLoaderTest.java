package relay.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfigLoaderTest {

    @TempDir
    Path dir;

    @Test
    void embeddedDefaultsMatchTheDocumentedFile() throws Exception {
        RelayConfig c = new ConfigLoader(Map.of()).load(Optional.empty());
        assertThat(c.smtp().bind()).isEqualTo("127.0.0.1");
        assertThat(c.smtp().port()).isEqualTo(2525);
        assertThat(c.smtp().maxMessageSize().octets()).isEqualTo(25L * 1024 * 1024);
        assertThat(c.smtp().clientNetworks()).containsExactly("127.0.0.0/8", "::1/128");
        assertThat(c.smtp().tls().configured()).isFalse();
        assertThat(c.smtp().auth().users()).isEmpty();
        assertThat(c.smtp().auth().allowPlaintext()).isFalse();
        assertThat(c.data().dir()).isEqualTo(Path.of("./data"));
        assertThat(c.queue().lifetime()).isEqualTo(Duration.ofDays(5));
        assertThat(c.queue().firstRetry()).isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    void fileOverridesOnlyTheKeysItNames() throws Exception {
        RelayConfig c = new ConfigLoader(Map.of()).load(Optional.of(file("smtp:\n  port: 2600\nqueue:\n  lifetime: 3d\n")));
        assertThat(c.smtp().port()).isEqualTo(2600);
        assertThat(c.smtp().bind()).isEqualTo("127.0.0.1");
        assertThat(c.queue().lifetime()).isEqualTo(Duration.ofDays(3));
        assertThat(c.queue().maxRetry()).isEqualTo(Duration.ofHours(1));
    }

    @Test
    void environmentOverridesFileAndDefaults() throws Exception {
        Map<String, String> env = Map.of(
                "RELAY_SMTP_PORT", "2526",
                "RELAY_SMTP_MAX_MESSAGE_SIZE", "10MiB",
                "RELAY_SMTP_CLIENT_NETWORKS", "[10.0.0.0/8, 192.168.0.0/16]",
                "RELAY_QUEUE_FIRST_RETRY", "PT30S",
                "RELAY_DATA_DIR", "/var/lib/relay",
                "PATH", "/usr/bin");
        RelayConfig c = new ConfigLoader(env).load(Optional.of(file("smtp:\n  port: 2600\n")));
        assertThat(c.smtp().port()).isEqualTo(2526);
        assertThat(c.smtp().maxMessageSize().octets()).isEqualTo(10L * 1024 * 1024);
        assertThat(c.smtp().clientNetworks()).isEqualTo(List.of("10.0.0.0/8", "192.168.0.0/16"));
        assertThat(c.queue().firstRetry()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.data().dir()).isEqualTo(Path.of("/var/lib/relay"));
    }

    @Test
    void usersCanComeFromTheEnvironmentAsAYamlMapping() throws Exception {
        String hash = "pbkdf2-sha256$600000$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        RelayConfig c = new ConfigLoader(Map.of("RELAY_SMTP_AUTH_USERS", "{app: \"" + hash + "\"}")).load(Optional.empty());
        assertThat(c.smtp().auth().users()).containsEntry("app", hash);
    }

    // Every bad file names the key (and the variable that would set it).
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "smtp:\\n  prot: 25                       | unknown configuration key 'smtp.prot'",
        "smpt:\\n  port: 25                       | unknown configuration key 'smpt'",
        "smtp:\\n  port: lots                     | 'smtp.port'",
        "smtp:\\n  port: 70000                    | 'smtp.port' (RELAY_SMTP_PORT): must be between 0 and 65535",
        "smtp:\\n  max-message-size: huge         | 'smtp.max-message-size'",
        "smtp:\\n  max-message-size: 10          | 'smtp.max-message-size' (RELAY_SMTP_MAX_MESSAGE_SIZE): must be between 1KiB and 2GiB",
        "smtp:\\n  command-timeout: 5 minutes     | 'smtp.command-timeout'",
        "smtp:\\n  data-timeout: 0s               | 'smtp.data-timeout' (RELAY_SMTP_DATA_TIMEOUT): must be longer than zero",
        "smtp:\\n  client-networks: [10.0.0.0/33] | 'smtp.client-networks[0]'",
        "smtp:\\n  client-networks: [example.com] | 'smtp.client-networks[0]'",
        "smtp:\\n  tls:\\n    certificate: /nonexistent.pem | 'smtp.tls.certificate' (RELAY_SMTP_TLS_CERTIFICATE): cannot read",
        "smtp:\\n  auth:\\n    users: {bob: secret}  | 'smtp.auth.users.bob'",
        "smtp: 25                                 | 'smtp' must be a mapping",
        "queue:\\n  workers: 0                    | 'queue.workers'",
        "queue:\\n  first-retry: 2h\\n  max-retry: 1h | 'queue.max-retry'",
        "hostname: not a host                     | 'hostname'",
        // the admin server can delete mail: beyond loopback only behind a token
        "admin:\\n  bind: 0.0.0.0                  | 'admin.token' (RELAY_ADMIN_TOKEN): must be set when admin.bind is not a loopback address",
        "admin:\\n  port: 65536                    | 'admin.port' (RELAY_ADMIN_PORT): must be between 0 and 65535",
        "data:\\n  min-free-space: plenty          | 'data.min-free-space'",
        "- a list                                 | must be a YAML mapping",
        "smtp: [unclosed                          | not valid YAML",
    })
    void badFilesAreRefusedNamingTheKey(String yaml, String expected) throws IOException {
        Path f = file(yaml.replace("\\n", "\n"));
        assertThatThrownBy(() -> new ConfigLoader(Map.of()).load(Optional.of(f)))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(expected.strip());
    }

    @Test
    void theAdminServerIsOnLoopbackWithoutATokenByDefaultAndElsewhereWithOne() throws Exception {
        RelayConfig.Admin defaults = new ConfigLoader(Map.of()).load(Optional.empty()).admin();
        assertThat(defaults).isEqualTo(new RelayConfig.Admin(true, "127.0.0.1", 8025, ""));

        RelayConfig.Admin open = new ConfigLoader(Map.of("RELAY_ADMIN_BIND", "0.0.0.0", "RELAY_ADMIN_TOKEN", "s3cret"))
                .load(Optional.empty()).admin();
        assertThat(open.token()).isEqualTo("s3cret");
        assertThat(new ConfigLoader(Map.of("RELAY_ADMIN_BIND", "0.0.0.0", "RELAY_ADMIN_ENABLED", "false"))
                .load(Optional.empty()).admin().enabled()).as("no token needed when switched off").isFalse();
    }

    @Test
    void unknownRelayVariableIsRefusedSoTyposDoNotPassSilently() {
        assertThatThrownBy(() -> new ConfigLoader(Map.of("RELAY_SMTP_PROT", "25")).load(Optional.empty()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("RELAY_SMTP_PROT names no configuration key");
    }

    @Test
    void badEnvironmentValueNamesKeyAndVariable() {
        assertThatThrownBy(() -> new ConfigLoader(Map.of("RELAY_SMTP_PORT", "two")).load(Optional.empty()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'smtp.port' (RELAY_SMTP_PORT)");
    }

    @Test
    void missingFileIsNamed() {
        Path missing = dir.resolve("nope.yaml");
        assertThatThrownBy(() -> new ConfigLoader(Map.of()).load(Optional.of(missing)))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(missing + " does not exist");
    }

    @Test
    void emptyFileMeansDefaults() throws Exception {
        assertThat(new ConfigLoader(Map.of()).load(Optional.of(file(""))).smtp().port()).isEqualTo(2525);
    }

    private Path file(String yaml) throws IOException {
        Path f = Files.createTempFile(dir, "relay", ".yaml");
        Files.writeString(f, yaml);
        return f;
    }
}
