package relay.sts.report.record;

/**
 * The outcome of looking up {@code _smtp._tls.<domain>}: DNS answered (NXDOMAIN and NODATA are
 * {@link RptDiscovery.NoRecord}), or it did not (SERVFAIL, timeout: try again later).
 */
public sealed interface RptLookup {

    record Answered(RptDiscovery discovery) implements RptLookup {
    }

    record Failed(String reason) implements RptLookup {
    }
}
