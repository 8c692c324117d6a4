package relay.sts.report.record;

import java.net.URI;
import java.util.Objects;
import relay.core.mail.MailAddress;

/**
 * One usable reporting URI of a {@code rua=} field (RFC 8460 §3): only {@code mailto:} and
 * {@code https:} are defined (RPT-06).
 */
public sealed interface Rua {

    /** The URI as published. */
    URI uri();

    /** RFC 8460 §5.3: the report is mailed to this address (query such as {@code ?subject=} dropped). */
    record Mailto(URI uri, MailAddress address) implements Rua {
        public Mailto {
            Objects.requireNonNull(uri, "uri");
            Objects.requireNonNull(address, "address");
        }
    }

    /** RFC 8460 §5.4: the report is POSTed to this URI. */
    record Https(URI uri) implements Rua {
        public Https {
            Objects.requireNonNull(uri, "uri");
        }
    }
}
