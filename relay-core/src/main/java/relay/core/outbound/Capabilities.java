package relay.core.outbound;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** The extensions a server announced in its EHLO reply (RFC 5321 §4.1.1.1), keyword → parameters. */
record Capabilities(Map<String, String> extensions, boolean esmtp) {

    static Capabilities fromEhlo(SmtpReply reply) {
        Map<String, String> ext = new HashMap<>();
        List<String> lines = reply.lines();
        for (int i = 1; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) {
                continue;
            }
            int sp = line.indexOf(' ');
            String keyword = (sp < 0 ? line : line.substring(0, sp)).toUpperCase(Locale.ROOT);
            ext.put(keyword, sp < 0 ? "" : line.substring(sp + 1).strip());
        }
        return new Capabilities(Map.copyOf(ext), true);
    }

    /** After HELO: no extensions at all. */
    static Capabilities none() {
        return new Capabilities(Map.of(), false);
    }

    boolean has(String keyword) {
        return extensions.containsKey(keyword);
    }

    /** RFC 1870: the server's fixed maximum, when it gave one (0 means no limit). */
    Optional<Long> maxSize() {
        String v = extensions.get("SIZE");
        if (v == null || v.isEmpty()) {
            return Optional.empty();
        }
        try {
            long n = Long.parseLong(v);
            return n > 0 ? Optional.of(n) : Optional.empty();
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    boolean hasAuth(String mechanism) {
        String v = extensions.get("AUTH");
        return v != null && List.of(v.toUpperCase(Locale.ROOT).split("\\s+")).contains(mechanism);
    }
}
