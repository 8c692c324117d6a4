package relay.sts.report;

import java.util.Objects;
import relay.core.mail.Domain;
import relay.core.mail.MailAddress;

/**
 * Who sends the reports (configured): RFC 8460 §4.4 {@code organization-name} and
 * {@code contact-info}.
 */
public record Reporter(String organizationName, MailAddress contactInfo) {

    public Reporter {
        Objects.requireNonNull(organizationName, "organizationName");
        Objects.requireNonNull(contactInfo, "contactInfo");
        if (organizationName.isBlank()) {
            throw new IllegalArgumentException("empty organization-name");
        }
    }

    /**
     * RFC 8460 §5.3 (RPT-39): the {@code TLS-Report-Submitter} is the domain of
     * {@code contact-info}; §5.1 (RPT-35): it is also the file name's {@code sender}.
     */
    public Domain submitter() {
        return contactInfo.domain();
    }
}
