package relay.core.testing;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import relay.core.smtp.PasswordHash;

/**
 * Password hashes that are cheap to check (1000 PBKDF2 rounds instead of 600 000), computed here
 * with the JDK directly, so AUTH tests stay fast and do not trust the code under test to write them.
 */
public final class TestPasswords {

    private static final int ROUNDS = 1000;

    private TestPasswords() {
    }

    public static PasswordHash hash(String password) {
        byte[] salt = ("salt-for-" + password).getBytes(StandardCharsets.UTF_8);
        Base64.Encoder b64 = Base64.getEncoder().withoutPadding();
        return PasswordHash.parse("pbkdf2-sha256$" + ROUNDS + "$" + b64.encodeToString(salt) + "$"
                + b64.encodeToString(pbkdf2(password, salt, ROUNDS)));
    }

    /** PBKDF2-HMAC-SHA256 with a 256-bit output (RFC 8018 §5.2). */
    public static byte[] pbkdf2(String password, byte[] salt, int rounds) {
        try {
            return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256")
                    .generateSecret(new PBEKeySpec(password.toCharArray(), salt, rounds, 256)).getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
