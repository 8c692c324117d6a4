package relay.core.tls;

/**
 * What the certificate checks found, with the RFC 8460 §4.3.1 result type each failure reports
 * as. Computed for every TLS session; whether a failure stops delivery is the policy's call.
 */
public sealed interface CertificateVerdict {

    /** Chains to a trusted root, unexpired, and names the host. */
    record Trusted() implements CertificateVerdict {
    }

    /** A certificate in the chain is past its notAfter (or before its notBefore). */
    record Expired(String detail) implements CertificateVerdict {
    }

    /** No path to a trusted root, or a certificate unfit for a TLS server. */
    record NotTrusted(String detail) implements CertificateVerdict {
    }

    /** Trusted and unexpired, but no subjectAltName dNSName names the host. */
    record HostMismatch(String detail) implements CertificateVerdict {
    }

    default boolean ok() {
        return this instanceof Trusted;
    }

    /** The RFC 8460 result type for a failure. */
    default String resultType() {
        if (this instanceof Expired) {
            return "certificate-expired";
        }
        if (this instanceof NotTrusted) {
            return "certificate-not-trusted";
        }
        if (this instanceof HostMismatch) {
            return "certificate-host-mismatch";
        }
        return "success";
    }

    default String describe() {
        if (this instanceof Expired e) {
            return "certificate expired: " + e.detail();
        }
        if (this instanceof NotTrusted n) {
            return "certificate not trusted: " + n.detail();
        }
        if (this instanceof HostMismatch h) {
            return "certificate name mismatch: " + h.detail();
        }
        return "certificate verified";
    }
}
