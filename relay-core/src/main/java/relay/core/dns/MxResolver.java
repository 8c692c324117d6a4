package relay.core.dns;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;
import relay.core.mail.Domain;

/** Finds the hosts that receive mail for a domain, by the rules of RFC 5321 §5.1 and RFC 7505. */
public final class MxResolver {

    private static final Logger LOG = LoggerFactory.getLogger("relay.dns");
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    private final Dns dns;
    private final RandomGenerator random;

    public MxResolver(Dns dns, RandomGenerator random) {
        this.dns = dns;
        this.random = random;
    }

    public MxLookup resolve(Domain domain) {
        DnsAnswer mx = dns.lookup(domain.name(), Type.MX);
        if (mx instanceof DnsAnswer.Failed f) {
            return new MxLookup.TemporaryFailure("MX lookup for " + domain + " failed: " + f.reason());
        }
        if (mx instanceof DnsAnswer.NxDomain) {
            return new MxLookup.NoSuchDomain("domain " + domain + " does not exist (NXDOMAIN)");
        }
        if (mx instanceof DnsAnswer.NoData) {
            return implicitMx(domain);
        }
        return fromRecords(domain, ((DnsAnswer.Found) mx).records());
    }

    /** RFC 5321 §5.1: no MX records at all: the domain's own address records, preference 0. */
    private MxLookup implicitMx(Domain domain) {
        DnsAnswer a = dns.lookup(domain.name(), Type.A);
        DnsAnswer aaaa = dns.lookup(domain.name(), Type.AAAA);
        if (a instanceof DnsAnswer.Found || aaaa instanceof DnsAnswer.Found) {
            return new MxLookup.Hosts(List.of(new MxHost(domain, 0)), true);
        }
        if (a instanceof DnsAnswer.Failed f) {
            return new MxLookup.TemporaryFailure("address lookup for " + domain + " failed: " + f.reason());
        }
        if (aaaa instanceof DnsAnswer.Failed f) {
            return new MxLookup.TemporaryFailure("address lookup for " + domain + " failed: " + f.reason());
        }
        return new MxLookup.NoSuchDomain("domain " + domain + " has no MX and no address records");
    }

    private MxLookup fromRecords(Domain domain, List<Record> records) {
        List<MxHost> hosts = new ArrayList<>();
        boolean nullMx = false;
        for (Record r : records) {
            if (!(r instanceof MXRecord m)) {
                continue;
            }
            if (m.getTarget().labels() == 1) {
                // RFC 7505 §3: "." as the exchange means "no mail"
                nullMx = true;
                continue;
            }
            String target = m.getTarget().toString(true);
            if (IPV4.matcher(target).matches()) {
                // RFC 5321 §5.1: an MX names a host, never an address; Postfix skips these too
                LOG.warn("MX for {} names an IP address ({}): skipped", domain, target);
                continue;
            }
            try {
                hosts.add(new MxHost(Domain.parse(target), m.getPriority()));
            } catch (IllegalArgumentException e) {
                LOG.warn("MX for {} names an invalid host {}: skipped", domain, target);
            }
        }
        if (nullMx && hosts.isEmpty()) {
            return new MxLookup.NullMx();
        }
        if (nullMx) {
            // RFC 7505 §3 forbids mixing; we ignore the "." and use the real hosts (decision NMX-04)
            LOG.warn("{} publishes a null MX beside other MX records: using the other records", domain);
        }
        if (hosts.isEmpty()) {
            return new MxLookup.NoSuchDomain("the MX records of " + domain + " name no usable host");
        }
        return new MxLookup.Hosts(order(hosts), false);
    }

    /** RFC 5321 §5.1: lowest preference first; hosts of equal preference in random order. */
    List<MxHost> order(List<MxHost> hosts) {
        List<MxHost> shuffled = new ArrayList<>(hosts);
        for (int i = shuffled.size() - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            MxHost t = shuffled.get(i);
            shuffled.set(i, shuffled.get(j));
            shuffled.set(j, t);
        }
        // a stable sort keeps the shuffled order within each preference
        shuffled.sort(Comparator.comparingInt(MxHost::preference));
        return shuffled;
    }
}
