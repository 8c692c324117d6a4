package relay.app;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A size in octets, written as {@code 1048576}, {@code 512KiB}, {@code 25MiB} or {@code 1GiB}. */
public record Size(long octets) {

    private static final Pattern FORM = Pattern.compile("(\\d+)\\s*(|B|KIB|MIB|GIB|KB|MB|GB)");

    public static Size parse(String text) {
        Matcher m = FORM.matcher(text.strip().toUpperCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a size (e.g. 10MiB, 512KiB, 1048576)");
        }
        long n = Long.parseLong(m.group(1));
        long unit = switch (m.group(2)) {
            case "KIB" -> 1024L;
            case "MIB" -> 1024L * 1024;
            case "GIB" -> 1024L * 1024 * 1024;
            case "KB" -> 1000L;
            case "MB" -> 1000L * 1000;
            case "GB" -> 1000L * 1000 * 1000;
            default -> 1L;
        };
        return new Size(Math.multiplyExact(n, unit));
    }
}
