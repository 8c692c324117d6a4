package relay.core.mail;

import java.time.Instant;
import java.util.random.RandomGenerator;
import java.util.regex.Pattern;

/**
 * The name of one accepted message, as in {@code 250 2.0.0 Ok: queued as <id>}: the acceptance
 * time in milliseconds and 40 random bits, in upper-case base 32, so ids sort by arrival and do
 * not repeat across restarts.
 */
public record QueueId(String value) implements Comparable<QueueId> {

    private static final Pattern FORM = Pattern.compile("[0-9A-V]{10,20}");
    private static final char[] DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUV".toCharArray();

    public QueueId {
        if (value == null || !FORM.matcher(value).matches()) {
            throw new IllegalArgumentException("not a queue id: " + value);
        }
    }

    public static QueueId generate(Instant now, RandomGenerator random) {
        StringBuilder sb = new StringBuilder(18);
        appendBase32(sb, now.toEpochMilli(), 9);
        appendBase32(sb, random.nextLong() & 0xFF_FFFF_FFFFL, 8);
        return new QueueId(sb.toString());
    }

    private static void appendBase32(StringBuilder sb, long v, int digits) {
        char[] out = new char[digits];
        for (int i = digits - 1; i >= 0; i--) {
            out[i] = DIGITS[(int) (v & 31)];
            v >>>= 5;
        }
        sb.append(out);
    }

    @Override
    public int compareTo(QueueId o) {
        return value.compareTo(o.value);
    }

    @Override
    public String toString() {
        return value;
    }
}
