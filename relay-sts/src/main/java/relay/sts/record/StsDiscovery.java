package relay.sts.record;

import relay.core.dns.Dns;
import relay.core.mail.Domain;

/**
 * Looks up the TXT records at {@code _mta-sts.<domain>} (RFC 8461 §3.1) through the relay's
 * {@link Dns} (which follows CNAMEs, STS-09) and reads them with {@link StsRecordParser}. Only
 * the recipient domain itself is asked, never a parent (§3.4, STS-45).
 */
public final class StsDiscovery {

    private final Dns dns;

    public StsDiscovery(Dns dns) {
        this.dns = dns;
    }

    /** The TXT name of a policy domain. */
    public static String recordName(Domain domain) {
        return "_mta-sts." + domain.name();
    }

    /**
     * RFC 8461 §3.1: NXDOMAIN and NODATA mean the domain publishes no record; SERVFAIL and
     * timeouts are {@link StsLookup.Failed}. Each record is read byte for byte
     * by {@link Dns#txt}, so a control byte is not hidden by dnsjava's escaping.
     */
    public StsLookup lookup(Domain domain) {
        if (domain.isAddressLiteral()) {
            throw new IllegalArgumentException("RFC 8461 §3.4: no MTA-STS for address literal " + domain);
        }
        Dns.Txt txt = dns.txt(recordName(domain));
        if (txt.failure().isPresent()) {
            return new StsLookup.Failed(txt.failure().get());
        }
        return new StsLookup.Answered(txt.none().<Discovery>map(Discovery.NoRecord::new)
                .orElseGet(() -> StsRecordParser.parseWire(txt.records())));
    }
}
