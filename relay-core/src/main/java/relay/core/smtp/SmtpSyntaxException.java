package relay.core.smtp;

/** A command the listener refuses; the message is the complete reply line. */
final class SmtpSyntaxException extends Exception {

    SmtpSyntaxException(String reply) {
        super(reply, null, false, false);
    }

    String reply() {
        return getMessage();
    }
}
