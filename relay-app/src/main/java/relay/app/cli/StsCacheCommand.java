package relay.app.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import relay.core.mail.Domain;

/**
 * {@code relay sts cache list|show DOMAIN|purge DOMAIN}: the MTA-STS policies a running relay has
 * cached, through its admin server (the relay holds its H2 file to itself).
 */
@Command(name = "cache", description = "Shows and purges the MTA-STS policies a running relay has cached,"
        + " through its admin HTTP server.", exitCodeOnInvalidInput = 64, mixinStandardHelpOptions = true,
        subcommands = {StsCacheCommand.ListPolicies.class, StsCacheCommand.Show.class, StsCacheCommand.Purge.class})
public final class StsCacheCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 0;
    }

    @Command(name = "list", exitCodeOnInvalidInput = 64, mixinStandardHelpOptions = true, description = "Lists cached policies, one line per domain.")
    static final class ListPolicies extends QueueCommand.AdminCommand {
        private static final String[] HEADER = {"DOMAIN", "ID", "MODE", "MAX_AGE", "FETCHED", "EXPIRES", "LAST USED", "MX"};

        @Override
        JsonNode run(AdminClient admin) throws Exception {
            return admin.send("GET", "sts/cache");
        }

        @Override
        String text(JsonNode answer) {
            if (answer.isEmpty()) {
                return "no MTA-STS policy is cached\n";
            }
            List<String[]> rows = new ArrayList<>();
            rows.add(HEADER);
            for (JsonNode p : answer) {
                rows.add(new String[] {p.get("domain").asText(), p.get("policyId").asText(), p.get("mode").asText(),
                    p.get("maxAge").asText(), time(p.get("fetched")), time(p.get("expires")), time(p.get("lastUsed")),
                    mx(p)});
            }
            return align(rows) + answer.size() + (answer.size() == 1 ? " policy\n" : " policies\n");
        }
    }

    @Command(name = "show", exitCodeOnInvalidInput = 64, mixinStandardHelpOptions = true, description = "Shows one domain's cached policy as served,"
            + " and its last failed fetch.")
    static final class Show extends QueueCommand.AdminCommand {
        @Parameters(paramLabel = "DOMAIN")
        String domain;

        @Override
        JsonNode run(AdminClient admin) throws Exception {
            return admin.send("GET", "sts/cache/" + path(domain));
        }

        @Override
        String text(JsonNode p) {
            StringBuilder sb = new StringBuilder();
            sb.append("domain:    ").append(p.get("domain").asText()).append('\n')
                    .append("id:        ").append(p.get("policyId").asText()).append('\n')
                    .append("mode:      ").append(p.get("mode").asText()).append('\n')
                    .append("max_age:   ").append(p.get("maxAge").asText()).append('\n')
                    .append("mx:        ").append(mx(p)).append('\n')
                    .append("fetched:   ").append(time(p.get("fetched"))).append('\n')
                    .append("expires:   ").append(time(p.get("expires"))).append('\n')
                    .append("last used: ").append(time(p.get("lastUsed"))).append('\n');
            JsonNode f = p.get("lastFailure");
            if (f != null && !f.isNull()) {
                sb.append("last failed fetch: ").append(time(f.get("failedAt"))).append(" for id ")
                        .append(f.get("policyId").asText()).append(" (").append(f.get("consecutive").asText())
                        .append(" in a row): ").append(f.get("reason").asText()).append('\n');
            }
            sb.append("\npolicy:\n");
            p.get("policy").forEach(line -> sb.append("  ").append(line.asText()).append('\n'));
            return sb.toString();
        }
    }

    @Command(name = "purge", exitCodeOnInvalidInput = 64, mixinStandardHelpOptions = true, description = "Forgets one domain's cached policy: the next"
            + " delivery there discovers and fetches it afresh.")
    static final class Purge extends QueueCommand.AdminCommand {
        @Parameters(paramLabel = "DOMAIN")
        String domain;

        @Override
        JsonNode run(AdminClient admin) throws Exception {
            return admin.send("DELETE", "sts/cache/" + path(domain));
        }

        @Override
        String text(JsonNode answer) {
            return answer.get("domain").asText() + ": cached policy purged\n";
        }
    }

    /** A domain, checked before anything is sent. */
    private static String path(String text) throws AdminClient.AdminException {
        try {
            Domain d = Domain.parse(text);
            if (!d.isAddressLiteral()) {
                return URLEncoder.encode(d.name(), StandardCharsets.UTF_8);
            }
        } catch (IllegalArgumentException e) {
            // the sentence below
        }
        throw new AdminClient.AdminException("'" + text + "' is not a domain name");
    }

    private static String mx(JsonNode p) {
        List<String> mx = new ArrayList<>();
        p.get("mx").forEach(m -> mx.add(m.asText()));
        return mx.isEmpty() ? "-" : String.join(" ", mx);
    }

    /** {@code 2026-11-22T14:10:00.123Z} as {@code 2026-11-22 14:10:00Z}. */
    private static String time(JsonNode t) {
        return t == null || t.isNull() ? "-" : t.asText().replace('T', ' ').replaceFirst("\\.\\d+Z$", "Z");
    }

    private static String align(List<String[]> rows) {
        int[] width = new int[rows.get(0).length];
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
