package relay.core.outbound;

import java.time.Duration;

/**
 * Client timeouts. RFC 5321 §4.5.3.2 gives the minimum waits for each reply: greeting 5 min,
 * MAIL 5, RCPT 5, DATA initiation 2, each data block 3, after the final dot 10. {@code connect}
 * is ours to choose: short, so a dead host costs seconds, not minutes.
 */
public record SmtpTimeouts(Duration connect, Duration greeting, Duration command, Duration dataInit,
        Duration dataBlock, Duration dataEnd) {

    public static SmtpTimeouts rfc5321(Duration connect) {
        return new SmtpTimeouts(connect, Duration.ofMinutes(5), Duration.ofMinutes(5), Duration.ofMinutes(2),
                Duration.ofMinutes(3), Duration.ofMinutes(10));
    }
}
