package relay.core.dns;

import java.util.List;
import org.xbill.DNS.Record;

/**
 * The answer to one DNS question, as a value. {@link NoData} and {@link NxDomain} are answers
 * ("there is none"); {@link Failed} is the absence of an answer (SERVFAIL, timeout, network), which
 * RFC 5321 §5.1 says means "try again later".
 */
public sealed interface DnsAnswer {

    /** Records of the asked type, after CNAMEs were followed. */
    record Found(List<Record> records) implements DnsAnswer {
        public Found {
            records = List.copyOf(records);
        }
    }

    /** The name exists but has no record of the asked type. */
    record NoData() implements DnsAnswer {
    }

    /** The name does not exist (RCODE 3). */
    record NxDomain() implements DnsAnswer {
    }

    /** No usable answer: the reason is for logs and DSNs. */
    record Failed(String reason) implements DnsAnswer {
    }
}
