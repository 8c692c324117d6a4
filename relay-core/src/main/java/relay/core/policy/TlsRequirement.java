package relay.core.policy;

/** How much TLS a delivery demands (RFC 3207; RFC 8461 §5 for MTA-STS enforce). */
public enum TlsRequirement {
    /** Never STARTTLS: plaintext only (for a broken next hop an operator named). */
    NONE,
    /** STARTTLS when offered, certificate not required to pass; plaintext when not offered. */
    OPPORTUNISTIC,
    /** STARTTLS required and the certificate must pass every check, or no mail is sent. */
    VERIFIED
}
