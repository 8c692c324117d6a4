package relay.sts.report.record;

import java.util.ArrayList;
import java.util.List;
import org.xbill.DNS.Record;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;
import relay.core.dns.Dns;
import relay.core.dns.DnsAnswer;
import relay.core.mail.Domain;

/**
 * Looks up the TXT records at {@code _smtp._tls.<domain>} (RFC 8460 §3, RPT-01) through the
 * relay's {@link Dns} (which follows CNAMEs) and reads them with {@link TlsRptRecordParser}.
 */
public final class TlsRptDiscovery {

    private final Dns dns;

    public TlsRptDiscovery(Dns dns) {
        this.dns = dns;
    }

    /** The TXT name of a policy domain. */
    public static String recordName(Domain domain) {
        return "_smtp._tls." + domain.name();
    }

    /**
     * NXDOMAIN and NODATA mean the domain publishes no record; SERVFAIL and timeouts are
     * {@link RptLookup.Failed} (the publisher retries later rather than dropping the report).
     */
    public RptLookup lookup(Domain domain) {
        if (domain.isAddressLiteral()) {
            return new RptLookup.Answered(new RptDiscovery.NoRecord("address literal " + domain));
        }
        DnsAnswer answer = dns.lookup(recordName(domain), Type.TXT);
        if (answer instanceof DnsAnswer.Found found) {
            List<List<byte[]>> txt = new ArrayList<>();
            for (Record r : found.records()) {
                if (r instanceof TXTRecord t) {
                    txt.add(t.getStringsAsByteArrays());
                }
            }
            return new RptLookup.Answered(TlsRptRecordParser.parseWire(txt));
        }
        if (answer instanceof DnsAnswer.NoData) {
            return new RptLookup.Answered(new RptDiscovery.NoRecord("no TXT records (NODATA)"));
        }
        if (answer instanceof DnsAnswer.NxDomain) {
            return new RptLookup.Answered(new RptDiscovery.NoRecord(recordName(domain) + " does not exist (NXDOMAIN)"));
        }
        return new RptLookup.Failed(recordName(domain) + " TXT lookup failed: " + ((DnsAnswer.Failed) answer).reason());
    }
}
