package relay.sts.record;

import java.util.ArrayList;
import java.util.List;
import org.xbill.DNS.Record;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;
import relay.core.dns.Dns;
import relay.core.dns.DnsAnswer;
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
     * ({@code getStringsAsByteArrays()}), so a control byte is not hidden by dnsjava's escaping.
     */
    public StsLookup lookup(Domain domain) {
        if (domain.isAddressLiteral()) {
            throw new IllegalArgumentException("RFC 8461 §3.4: no MTA-STS for address literal " + domain);
        }
        DnsAnswer answer = dns.lookup(recordName(domain), Type.TXT);
        if (answer instanceof DnsAnswer.Found found) {
            List<List<byte[]>> txt = new ArrayList<>();
            for (Record r : found.records()) {
                if (r instanceof TXTRecord t) {
                    txt.add(t.getStringsAsByteArrays());
                }
            }
            return new StsLookup.Answered(StsRecordParser.parseWire(txt));
        }
        if (answer instanceof DnsAnswer.NoData) {
            return new StsLookup.Answered(new Discovery.NoRecord("no TXT records (NODATA)"));
        }
        if (answer instanceof DnsAnswer.NxDomain) {
            return new StsLookup.Answered(new Discovery.NoRecord(recordName(domain) + " does not exist (NXDOMAIN)"));
        }
        return new StsLookup.Failed(recordName(domain) + " TXT lookup failed: " + ((DnsAnswer.Failed) answer).reason());
    }
}
