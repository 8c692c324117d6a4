package relay.core.dns;

import java.util.List;

/** Where mail for a domain goes (RFC 5321 §5.1, RFC 7505), as a value. */
public sealed interface MxLookup {

    /**
     * Hosts to try, best first (equal preferences already shuffled). {@code implicit}: there was
     * no MX record, and the domain itself is the host (RFC 5321 §5.1 implicit MX).
     */
    record Hosts(List<MxHost> hosts, boolean implicit) implements MxLookup {
        public Hosts {
            hosts = List.copyOf(hosts);
        }
    }

    /** RFC 7505: the domain accepts no mail. Permanent. */
    record NullMx() implements MxLookup {
    }

    /** The domain does not exist (NXDOMAIN), or has neither MX nor address records. Permanent. */
    record NoSuchDomain(String reason) implements MxLookup {
    }

    /** DNS did not answer usably (SERVFAIL, timeout): try again later (RFC 5321 §5.1). */
    record TemporaryFailure(String reason) implements MxLookup {
    }
}
