package relay.sts.report.https;

import java.time.Duration;

/**
 * How reports are POSTed (RFC 8460 §5.4).
 *
 * @param connectTimeout per address
 * @param totalTimeout the whole POST, from the first connect to the answer
 * @param verifyCertificates RPT-09: the RFC lets a reporter ignore certificate errors of the
 *     report endpoint; off means any certificate is accepted (the reports are not secret, but
 *     the issue asks for the relay's TLS checks, so on is the default to configure)
 */
public record PostSettings(Duration connectTimeout, Duration totalTimeout, boolean verifyCertificates) {
}
