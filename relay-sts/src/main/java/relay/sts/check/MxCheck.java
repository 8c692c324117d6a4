package relay.sts.check;

/**
 * What the STARTTLS probe of one MX host found (RFC 8461 §4: MX matching, then §4.2 TLS and
 * certificate validation against the MX host name).
 *
 * @param host the MX host name, as the MX record names it
 * @param preference its RFC 5321 §5.1 preference
 * @param listed true when a pattern of the policy matches {@code host} (§4.1); true without a policy
 * @param address the address probed, {@code ip:port}, or null when none could be reached
 * @param startTls true when the server offered STARTTLS and the handshake completed
 * @param tlsVersion the negotiated protocol (TLSv1.3), or null without TLS
 * @param certificate the certificate verdict in words, or null without TLS
 * @param resultType {@code success} or the RFC 8460 §4.3 result type of the first failure
 *     ({@code starttls-not-supported}, {@code certificate-host-mismatch}, ...)
 * @param error what went wrong before TLS (no address, refused connection, a 4xx greeting), or null
 * @param passes listed, STARTTLS and a verified certificate: an enforce policy would deliver here
 */
public record MxCheck(String host, int preference, boolean listed, String address, boolean startTls, String tlsVersion,
        String certificate, String resultType, String error, boolean passes) {
}
