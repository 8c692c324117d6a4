package relay.sts.report.record;

import relay.core.dns.Dns;
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
        Dns.Txt txt = dns.txt(recordName(domain));
        if (txt.failure().isPresent()) {
            return new RptLookup.Failed(txt.failure().get());
        }
        return new RptLookup.Answered(txt.none().<RptDiscovery>map(RptDiscovery.NoRecord::new)
                .orElseGet(() -> TlsRptRecordParser.parseWire(txt.records())));
    }
}
