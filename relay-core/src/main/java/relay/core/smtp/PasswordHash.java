package relay.core.smtp;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * A stored password: PBKDF2 with HMAC-SHA-256 (the JDK's implementation; NIST SP 800-132), written
 * as {@code pbkdf2-sha256$<iterations>$<salt, base64>$<hash, base64>}.
 */
public record PasswordHash(int iterations, byte[] salt, byte[] hash) {

    /** OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256. */
    public static final int DEFAULT_ITERATIONS = 600_000;
    private static final String PREFIX = "pbkdf2-sha256";
    static final PasswordHash DECOY = new PasswordHash(DEFAULT_ITERATIONS, new byte[16], new byte[32]);

    public static PasswordHash create(String password, SecureRandom random) {
        byte[] salt = new byte[16];
        random.nextBytes(salt);
        return new PasswordHash(DEFAULT_ITERATIONS, salt, derive(password, salt, DEFAULT_ITERATIONS));
    }

    /** @throws IllegalArgumentException when {@code text} is not a hash this class wrote */
    public static PasswordHash parse(String text) {
        String[] parts = text == null ? new String[0] : text.split("\\$");
        if (parts.length != 4 || !parts[0].equals(PREFIX)) {
            throw new IllegalArgumentException("not a password hash (expected " + PREFIX + "$iterations$salt$hash; "
                    + "make one with 'relay hash-password')");
        }
        try {
            int iterations = Integer.parseInt(parts[1]);
            if (iterations < 1000) {
                throw new IllegalArgumentException("password hash has too few iterations: " + iterations);
            }
            byte[] salt = Base64.getDecoder().decode(parts[2]);
            byte[] hash = Base64.getDecoder().decode(parts[3]);
            if (salt.length == 0 || hash.length == 0) {
                // PBKDF2 refuses an empty salt: the hash would fail at AUTH time, not here
                throw new IllegalArgumentException("password hash has an empty salt or hash");
            }
            return new PasswordHash(iterations, salt, hash);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("password hash has a bad iteration count", e);
        }
    }

    public boolean verify(String password) {
        return MessageDigest.isEqual(derive(password, salt, iterations), hash);
    }

    private static byte[] derive(String password, byte[] salt, int iterations) {
        try {
            PBEKeySpec spec = new PBEKeySpec(password.toCharArray(), salt, iterations, 256);
            return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("PBKDF2WithHmacSHA256 missing from this JDK", e);
        }
    }

    @Override
    public String toString() {
        Base64.Encoder b64 = Base64.getEncoder().withoutPadding();
        return PREFIX + "$" + iterations + "$" + b64.encodeToString(salt) + "$" + b64.encodeToString(hash);
    }
}
