package relay.sts.report.json;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.zip.GZIPOutputStream;
import relay.sts.report.TlsReport;

/** RFC 8460 §5.2 (RPT-36): reports are gzipped for both mail and HTTPS. */
public final class ReportGzip {

    private ReportGzip() {
    }

    /** The report's JSON, gzipped: what is attached or POSTed as {@code application/tlsrpt+gzip}. */
    public static byte[] of(TlsReport report) {
        return gzip(ReportJson.write(report));
    }

    static byte[] gzip(byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(data.length / 4 + 64);
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException("gzip in memory", e);
        }
        return out.toByteArray();
    }
}
