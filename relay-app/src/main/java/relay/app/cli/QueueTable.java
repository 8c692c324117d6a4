package relay.app.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/** The queue as a person reads it: one line per recipient under its message, columns aligned. */
final class QueueTable {

    private static final String[] HEADER = {"ID", "ARRIVAL", "SIZE", "SENDER", "RECIPIENT", "STATE", "TRIES",
        "NEXT ATTEMPT", "LAST"};

    private QueueTable() {
    }

    /** {@code GET /queue}'s answer as a table, or a sentence when the queue is empty. */
    static String list(JsonNode messages) {
        if (messages.isEmpty()) {
            return "the queue is empty\n";
        }
        List<String[]> rows = new ArrayList<>();
        rows.add(HEADER);
        for (JsonNode m : messages) {
            boolean first = true;
            for (JsonNode r : m.get("recipients")) {
                rows.add(new String[] {first ? m.get("id").asText() : "", first ? time(m.get("arrival")) : "",
                    first ? m.get("size").asText() : "", first ? sender(m) : "", r.get("address").asText(),
                    r.get("state").asText(), r.get("attempts").asText(), next(r), text(r.get("lastStatus"))});
                first = false;
            }
        }
        return align(rows) + messages.size() + (messages.size() == 1 ? " message\n" : " messages\n");
    }

    /** {@code GET /queue/ID}'s answer: the message, then each recipient with its whole last reply. */
    static String show(JsonNode m) {
        StringBuilder sb = new StringBuilder();
        sb.append("id:       ").append(m.get("id").asText()).append('\n')
                .append("sender:   ").append(sender(m)).append('\n')
                .append("arrival:  ").append(time(m.get("arrival"))).append('\n')
                .append("size:     ").append(m.get("size").asText()).append(" octets\n");
        for (JsonNode r : m.get("recipients")) {
            sb.append("\nrecipient:    ").append(r.get("address").asText()).append('\n')
                    .append("state:        ").append(r.get("state").asText()).append('\n')
                    .append("attempts:     ").append(r.get("attempts").asText()).append('\n')
                    .append("next attempt: ").append(next(r)).append('\n');
            if (r.hasNonNull("lastStatus")) {
                sb.append("last status:  ").append(text(r.get("lastStatus"))).append('\n')
                        .append("last reply:   ").append(text(r.get("lastReply"))).append('\n')
                        .append("remote MTA:   ").append(text(r.get("remoteMta"))).append('\n');
            }
        }
        return sb.toString();
    }

    private static String sender(JsonNode m) {
        String s = m.get("sender").asText();
        return s.isEmpty() ? "<>" : s;
    }

    /** Only waiting recipients have a next attempt worth showing. */
    private static String next(JsonNode r) {
        String state = r.get("state").asText();
        return state.equals("queued") || state.equals("deferred") ? time(r.get("nextAttempt")) : "-";
    }

    /** {@code 2026-11-22T14:10:00.123Z} as {@code 2026-11-22 14:10:00Z}. */
    private static String time(JsonNode t) {
        if (t == null || t.isNull()) {
            return "-";
        }
        String s = t.asText().replace('T', ' ');
        return s.replaceFirst("\\.\\d+Z$", "Z");
    }

    private static String text(JsonNode n) {
        return n == null || n.isNull() ? "-" : n.asText();
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
