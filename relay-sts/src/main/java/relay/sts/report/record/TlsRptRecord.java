package relay.sts.report.record;

import java.util.List;
import java.util.Objects;

/**
 * A valid {@code _smtp._tls} TXT record (RFC 8460 §3).
 *
 * @param rua the usable reporting URIs, in the published order, never empty (RPT-05, RPT-06)
 * @param ignored the {@code rua} URIs that were left out (unsupported scheme, unparsable), for logs
 * @param text the record as read, its character-strings joined without a separator (RPT-04)
 */
public record TlsRptRecord(List<Rua> rua, List<String> ignored, String text) {

    public TlsRptRecord {
        rua = List.copyOf(rua);
        ignored = List.copyOf(ignored);
        Objects.requireNonNull(text, "text");
        if (rua.isEmpty()) {
            throw new IllegalArgumentException("a TLSRPT record needs at least one usable rua URI");
        }
    }
}
