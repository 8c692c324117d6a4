package relay.core.outbound;

import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A server reply (RFC 5321 §4.2): a three-digit code and one or more lines of text. */
public record SmtpReply(int code, List<String> lines) {

    /** RFC 3463: class.subject.detail, no leading zeros, at the start of the text. */
    private static final Pattern ENHANCED = Pattern.compile("^([245])\\.(0|[1-9]\\d{0,2})\\.(0|[1-9]\\d{0,2})(?=\\s|$)");

    public SmtpReply {
        lines = List.copyOf(lines);
    }

    public boolean positive() {
        return code >= 200 && code < 300;
    }

    public boolean intermediate() {
        return code >= 300 && code < 400;
    }

    public boolean transientFailure() {
        return code >= 400 && code < 500;
    }

    public boolean permanentFailure() {
        return code >= 500 && code < 600;
    }

    /** The enhanced status code the server gave, if its class agrees with the reply code. */
    public Optional<String> enhancedStatus() {
        if (lines.isEmpty()) {
            return Optional.empty();
        }
        Matcher m = ENHANCED.matcher(lines.get(0));
        if (m.find() && m.group(1).charAt(0) == Integer.toString(code).charAt(0)) {
            return Optional.of(m.group(1) + "." + m.group(2) + "." + m.group(3));
        }
        return Optional.empty();
    }

    /** The reply on one line, as it goes into logs and DSNs: {@code 550 5.1.1 no such user}. */
    @Override
    public String toString() {
        return code + " " + String.join(" ", lines).strip();
    }
}
