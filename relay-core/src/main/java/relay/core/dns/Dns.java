package relay.core.dns;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.Cache;
import org.xbill.DNS.DClass;
import org.xbill.DNS.ExtendedResolver;
import org.xbill.DNS.Name;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;
import org.xbill.DNS.lookup.LookupResult;
import org.xbill.DNS.lookup.LookupSession;
import org.xbill.DNS.lookup.NoSuchDomainException;
import org.xbill.DNS.lookup.NoSuchRRSetException;

/**
 * The relay's one DNS resolver (dnsjava). Every name the relay looks up goes through here, so an
 * operator or a test can point the whole relay at any server. Answers are cached for their TTL
 * (dnsjava's {@link Cache}); a truncated UDP answer is retried over TCP (dnsjava's
 * {@link SimpleResolver} does this by itself). No search path: every name is absolute.
 */
public final class Dns {

    private final LookupSession session;
    private final Duration timeout;
    private final AtomicLong queries = new AtomicLong();

    public Dns(DnsSettings settings) {
        this.timeout = settings.timeout();
        Resolver resolver;
        if (settings.servers().isEmpty()) {
            resolver = new ExtendedResolver();
        } else {
            // the configured servers replace the system's: dnsjava's no-argument ExtendedResolver()
            // starts with the resolv.conf servers and asks them first, so their NXDOMAIN (an
            // answer, not a failure) would win and the configured servers would never be asked
            List<Resolver> configured = new ArrayList<>();
            settings.servers().forEach(s -> configured.add(new SimpleResolver(s)));
            resolver = new ExtendedResolver(configured);
        }
        resolver.setTimeout(settings.timeout());
        this.session = LookupSession.builder()
                .resolver(new CountingResolver(resolver, queries))
                .cache(new Cache(DClass.IN))
                .clearSearchPath()
                .build();
    }

    /** Looks up {@code name} (absolute; a missing trailing dot is added) for records of {@code type}. */
    public DnsAnswer lookup(String name, int type) {
        Name n;
        try {
            n = Name.fromString(name.endsWith(".") ? name : name + ".");
        } catch (TextParseException e) {
            return new DnsAnswer.NxDomain();
        }
        try {
            LookupResult r = session.lookupAsync(n, type).toCompletableFuture()
                    .get(timeout.toMillis() * 3 + 1000, TimeUnit.MILLISECONDS);
            List<org.xbill.DNS.Record> records = r.getRecords();
            // dnsjava reports NODATA either as an exception or as an empty result
            return records.isEmpty() ? new DnsAnswer.NoData() : new DnsAnswer.Found(records);
        } catch (ExecutionException | CompletionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            if (cause instanceof NoSuchDomainException) {
                return new DnsAnswer.NxDomain();
            }
            if (cause instanceof NoSuchRRSetException) {
                return new DnsAnswer.NoData();
            }
            return new DnsAnswer.Failed(describe(cause));
        } catch (TimeoutException e) {
            return new DnsAnswer.Failed("timeout");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new DnsAnswer.Failed("interrupted");
        }
    }

    /**
     * The TXT records at {@code name}, each as its character-strings byte for byte
     * ({@code getStringsAsByteArrays()}, so a control byte is not hidden by dnsjava's escaping).
     * NXDOMAIN and NODATA are an empty list with the reason; SERVFAIL and timeouts a failure.
     * What MTA-STS (RFC 8461 §3.1) and TLSRPT (RFC 8460 §3) discovery both need.
     */
    public Txt txt(String name) {
        DnsAnswer answer = lookup(name, Type.TXT);
        if (answer instanceof DnsAnswer.Found found) {
            List<List<byte[]>> records = new ArrayList<>();
            for (org.xbill.DNS.Record r : found.records()) {
                if (r instanceof org.xbill.DNS.TXTRecord t) {
                    records.add(t.getStringsAsByteArrays());
                }
            }
            return new Txt(records, Optional.empty(), Optional.empty());
        }
        if (answer instanceof DnsAnswer.NoData) {
            return new Txt(List.of(), Optional.of("no TXT records (NODATA)"), Optional.empty());
        }
        if (answer instanceof DnsAnswer.NxDomain) {
            return new Txt(List.of(), Optional.of(name + " does not exist (NXDOMAIN)"), Optional.empty());
        }
        return new Txt(List.of(), Optional.empty(),
                Optional.of(name + " TXT lookup failed: " + ((DnsAnswer.Failed) answer).reason()));
    }

    /**
     * A TXT answer: the records; or, when there are none, why ({@code none}: the name or the type
     * does not exist); or {@code failure} when DNS could not answer.
     */
    public record Txt(List<List<byte[]>> records, Optional<String> none, Optional<String> failure) {
    }

    /**
     * The A and AAAA records of a host, IPv4 first, each family in the resolver's order (RFC 5321
     * §5.1: try the addresses in the order given).
     */
    public Addresses addresses(String host) {
        List<InetAddress> out = new ArrayList<>();
        DnsAnswer a = lookup(host, Type.A);
        DnsAnswer aaaa = lookup(host, Type.AAAA);
        if (a instanceof DnsAnswer.Found f) {
            f.records().forEach(r -> out.add(bare(((ARecord) r).getAddress())));
        }
        if (aaaa instanceof DnsAnswer.Found f) {
            f.records().forEach(r -> out.add(bare(((AAAARecord) r).getAddress())));
        }
        if (!out.isEmpty()) {
            return new Addresses(out, Optional.empty());
        }
        if (a instanceof DnsAnswer.Failed f) {
            return new Addresses(out, Optional.of(f.reason()));
        }
        if (aaaa instanceof DnsAnswer.Failed f) {
            return new Addresses(out, Optional.of(f.reason()));
        }
        return new Addresses(out, Optional.empty());
    }

    /** The address alone: dnsjava's carries the record's name with its dot, which reads badly in logs. */
    private static InetAddress bare(InetAddress a) {
        try {
            return InetAddress.getByAddress(a.getAddress());
        } catch (UnknownHostException e) {
            throw new IllegalStateException("an address of " + a.getAddress().length + " octets", e);
        }
    }

    /**
     * A host's addresses. When there are none, {@code lookupFailure} tells a failed lookup (try
     * again later) from an answer that named no address.
     */
    public record Addresses(List<InetAddress> list, Optional<String> lookupFailure) {
        public Addresses {
            list = List.copyOf(list);
        }
    }

    /** Queries sent to a server so far (cache hits are not queries). */
    public long queryCount() {
        return queries.get();
    }

    private static String describe(Throwable t) {
        String simple = t.getClass().getSimpleName();
        if (simple.equals("ServerFailedException")) {
            return "SERVFAIL";
        }
        if (t instanceof TimeoutException || t instanceof java.net.SocketTimeoutException) {
            return "timeout";
        }
        if (t instanceof UnknownHostException) {
            return "unknown host";
        }
        return t.getMessage() == null ? simple : simple + ": " + t.getMessage();
    }
}
