package relay.sts.report.record;

import java.util.Optional;

/**
 * What the {@code _smtp._tls} TXT records say (RFC 8460 §3). Only {@link Found} means the domain
 * wants reports; the three others all mean "does not implement TLSRPT" and differ only in what
 * they tell the logs.
 */
public sealed interface RptDiscovery {

    /** The one TLSRPT record, when there is exactly one and it is usable. */
    default Optional<TlsRptRecord> found() {
        return Optional.empty();
    }

    /** For logs: the endpoints found, or why there are none. */
    String describe();

    /** Exactly one record begins with {@code v=TLSRPTv1} and it names a usable rua. */
    record Found(TlsRptRecord record) implements RptDiscovery {

        @Override
        public Optional<TlsRptRecord> found() {
            return Optional.of(record);
        }

        @Override
        public String describe() {
            return "rua=" + record.rua().stream().map(r -> r.uri().toString()).toList();
        }
    }

    /** No TXT record begins with {@code v=TLSRPTv1}. */
    record NoRecord(String reason) implements RptDiscovery {

        @Override
        public String describe() {
            return "no TLSRPT record: " + reason;
        }
    }

    /** The one TLSRPT record breaks the RFC 8460 §3 ABNF or names no usable URI. */
    record Invalid(String reason) implements RptDiscovery {

        @Override
        public String describe() {
            return "invalid TLSRPT record: " + reason;
        }
    }

    /** RFC 8460 §3 (RPT-03): more than one record begins with {@code v=TLSRPTv1}. */
    record Multiple(int count, String reason) implements RptDiscovery {

        @Override
        public String describe() {
            return "ambiguous TLSRPT records: " + reason;
        }
    }
}
