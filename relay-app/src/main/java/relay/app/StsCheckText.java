package relay.app;

import java.util.ArrayList;
import java.util.List;
import relay.sts.check.CheckReport;
import relay.sts.check.MxCheck;

/** A {@link CheckReport} as a person reads it: record, policy, one line per MX, then the verdict. */
final class StsCheckText {

    private static final String[] HEADER = {"MX", "PREF", "LISTED", "STARTTLS", "TLS", "VERDICT"};

    private StsCheckText() {
    }

    static String of(CheckReport r) {
        StringBuilder sb = new StringBuilder();
        sb.append("domain:  ").append(r.domain()).append('\n');
        sb.append("record:  ").append(r.recordId() != null ? "found, id=" + r.recordId() : r.record()).append('\n');
        if (r.policy() != null) {
            CheckReport.PolicySummary p = r.policy();
            sb.append("policy:  mode ").append(p.mode()).append(", max_age ").append(p.maxAge())
                    .append(p.maxAgeClamped() ? " (clamped)" : "")
                    .append(p.mx().isEmpty() ? "" : ", mx " + String.join(" ", p.mx())).append('\n');
        } else if (r.policyError() != null) {
            sb.append("policy:  ").append(r.policyResultType()).append(": ").append(r.policyError()).append('\n');
        } else if (r.recordId() == null && r.outcome() != CheckReport.Outcome.DNS_FAILURE) {
            sb.append("policy:  none (no record, nothing fetched)\n");
        }
        if (r.mxError() != null) {
            sb.append("mx:      ").append(r.mxError()).append('\n');
        }
        if (!r.mx().isEmpty()) {
            boolean policyInForce = r.policy() != null && !r.policy().mode().equals("none");
            List<String[]> rows = new ArrayList<>();
            rows.add(HEADER);
            for (MxCheck m : r.mx()) {
                rows.add(new String[] {m.host(), Integer.toString(m.preference()),
                    policyInForce ? (m.listed() ? "yes" : "no") : "-", m.startTls() ? "yes" : "no",
                    m.tlsVersion() == null ? "-" : m.tlsVersion(), certificate(m)});
            }
            sb.append('\n').append(align(rows)).append('\n');
        }
        sb.append("result:  ").append(r.action()).append('\n');
        return sb.toString();
    }

    private static String certificate(MxCheck m) {
        if (m.certificate() != null) {
            return m.certificate() + (m.resultType().equals("success") ? "" : " (" + m.resultType() + ")");
        }
        String why = m.error() == null ? "-" : m.error();
        return m.resultType() == null ? why : why + " (" + m.resultType() + ")";
    }

    private static String align(List<String[]> rows) {
        int[] width = new int[HEADER.length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                width[i] = Math.max(width[i], row[i].length());
            }
        }
        StringBuilder sb = new StringBuilder();
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                line.append(i == row.length - 1 ? row[i] : String.format("%-" + width[i] + "s  ", row[i]));
            }
            sb.append(line.toString().stripTrailing()).append('\n');
        }
        return sb.toString();
    }
}
