package relay.core.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.security.SecureRandom;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;
import relay.core.testing.TestPasswords;

class PasswordHashTest {

    /** The published PBKDF2-HMAC-SHA256 vector: P="password", S="salt", c=4096, dkLen=32 (c5e478d5...). */
    private static final String KNOWN = "pbkdf2-sha256$4096$c2FsdA$xeR41ZKIyEGqUw22hFxMjZYok6ABzk4RpJY4c6qYE0o";

    /**
     * One full-strength round trip: two derivations of 600 000 rounds, a second or more each, so
     * wrong passwords are tried against the cheaper published vector below.
     */
    @Test
    void roundTripsThroughItsTextForm() {
        PasswordHash created = PasswordHash.create("correct horse", new SecureRandom());
        String text = created.toString();

        assertThat(text).matches("pbkdf2-sha256\\$600000\\$[A-Za-z0-9+/]{22}\\$[A-Za-z0-9+/]{43}");
        PasswordHash parsed = PasswordHash.parse(text);
        assertThat(parsed.iterations()).isEqualTo(PasswordHash.DEFAULT_ITERATIONS);
        assertThat(parsed.salt()).isEqualTo(created.salt()).hasSize(16);
        assertThat(parsed.hash()).isEqualTo(created.hash()).hasSize(32);
        assertThat(parsed.verify("correct horse")).isTrue();
    }

    @ParameterizedTest(name = "\"{0}\" -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            password   | true
            Password   | false
            password1  | false
            passwor    | false
            ''         | false
            """)
    void verifiesAgainstAPublishedVector(String password, boolean matches) {
        PasswordHash known = PasswordHash.parse(KNOWN);

        assertThat(known.verify(password)).isEqualTo(matches);
        // padded base64 reads the same, and the text form is written without padding
        assertThat(PasswordHash.parse("pbkdf2-sha256$4096$c2FsdA==$xeR41ZKIyEGqUw22hFxMjZYok6ABzk4RpJY4c6qYE0o="))
                .hasToString(KNOWN);
    }

    /** Unknown users (a full-strength decoy derivation) are covered by SmtpListenerTlsIT's AUTH failures. */
    @Test
    void userDirectoryChecksPasswords() {
        UserDirectory users = new UserDirectory(Map.of("alice", TestPasswords.hash("s3cret")));

        assertThat(users.verify("alice", "s3cret")).isTrue();
        assertThat(users.verify("alice", "S3cret")).isFalse();
        assertThat(users.verify("alice", "")).isFalse();
        assertThat(users.isEmpty()).isFalse();
        assertThat(new UserDirectory(Map.of()).isEmpty()).isTrue();
    }

    @ParameterizedTest(name = "[{index}] \"{0}\"")
    @NullAndEmptySource
    @ValueSource(strings = {
        // not this scheme
        "s3cret",
        "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
        "pbkdf2-sha1$4096$c2FsdA$xeR41ZKIyEGqUw22hFxMjZYok6ABzk4RpJY4c6qYE0o",
        "PBKDF2-SHA256$4096$c2FsdA$xeR41ZKIyEGqUw22hFxMjZYok6ABzk4RpJY4c6qYE0o",
        // wrong number of parts
        "pbkdf2-sha256$4096$c2FsdA",
        "pbkdf2-sha256$4096$c2FsdA$xeR41ZKIyEGqUw22hFxMjZYok6ABzk4RpJY4c6qYE0o$extra",
        // bad iteration counts
        "pbkdf2-sha256$many$c2FsdA$xeR41ZKIyEGqUw22hFxMjZYok6ABzk4RpJY4c6qYE0o",
        "pbkdf2-sha256$999$c2FsdA$xeR41ZKIyEGqUw22hFxMjZYok6ABzk4RpJY4c6qYE0o",
        "pbkdf2-sha256$-4096$c2FsdA$xeR41ZKIyEGqUw22hFxMjZYok6ABzk4RpJY4c6qYE0o",
        "pbkdf2-sha256$99999999999$c2FsdA$xeR41ZKIyEGqUw22hFxMjZYok6ABzk4RpJY4c6qYE0o",
        // bad base64
        "pbkdf2-sha256$4096$c2F*dA$xeR41ZKIyEGqUw22hFxMjZYok6ABzk4RpJY4c6qYE0o",
        "pbkdf2-sha256$4096$c2FsdA$xeR41ZKIyEGqUw22hFxMjZYok6ABzk4RpJY4c6qYE0!",
        // an empty salt or hash could never verify (PBKDF2 refuses an empty salt at login time)
        "pbkdf2-sha256$4096$$xeR41ZKIyEGqUw22hFxMjZYok6ABzk4RpJY4c6qYE0o",
        "pbkdf2-sha256$4096$c2FsdA$",
    })
    void refusesWhatItDidNotWrite(String text) {
        assertThatIllegalArgumentException().isThrownBy(() -> PasswordHash.parse(text));
    }
}
