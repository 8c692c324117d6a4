package relay.core.report;

import java.util.Locale;

/** RFC 8460 §4.3: the result of one TLS session, {@link #SUCCESS} or one of the failure types. */
public enum TlsResultType {
    SUCCESS,
    // §4.3.1 negotiation failures
    STARTTLS_NOT_SUPPORTED,
    CERTIFICATE_HOST_MISMATCH,
    CERTIFICATE_NOT_TRUSTED,
    CERTIFICATE_EXPIRED,
    VALIDATION_FAILURE,
    // §4.3.2.1 MTA-STS specific
    STS_POLICY_FETCH_ERROR,
    STS_POLICY_INVALID,
    STS_WEBPKI_INVALID,
    // §4.3.2.2 DANE specific
    TLSA_INVALID,
    DNSSEC_INVALID,
    DANE_REQUIRED;

    /** The JSON token, e.g. {@code certificate-host-mismatch}. */
    public String token() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The type for a token; {@link IllegalArgumentException} for an unknown one. */
    public static TlsResultType of(String token) {
        return valueOf(token.toUpperCase(Locale.ROOT).replace('-', '_'));
    }
}
