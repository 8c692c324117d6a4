package relay.core.smtp;

import java.io.IOException;
import java.net.InetAddress;
import java.util.Map;
import java.util.Optional;
import org.subethamail.smtp.internal.server.BaseCommand;
import org.subethamail.smtp.server.Session;
import relay.core.spool.Spool;
import relay.core.mail.MailAddress;

/** MAIL and RCPT (RFC 5321 §4.1.1.2-3) with RFC 1870 SIZE, RFC 6152 BODY and RFC 6531 SMTPUTF8. */
final class EnvelopeVerbs {

    private EnvelopeVerbs() {
    }

    static BaseCommand mail(ListenerSettings settings, Spool spool, ListenerEvents events) {
        return new BaseCommand("MAIL", "Specifies the sender.", "FROM:<sender> [<parameters>]") {
            @Override
            public void execute(String commandString, Session sess) throws IOException {
                String reply = mail(settings, spool, sess, Verbs.argument(commandString, "MAIL"));
                if (reply.startsWith("552 ")) {
                    events.rejected(ListenerEvents.Rejection.MESSAGE_TOO_LARGE);
                } else if (reply.startsWith("452 4.3.1")) {
                    events.rejected(ListenerEvents.Rejection.STORAGE_FAILED);
                }
                sess.sendResponse(reply);
            }
        };
    }

    static BaseCommand rcpt(ListenerSettings settings, ListenerEvents events) {
        return new BaseCommand("RCPT", "Specifies a recipient.", "TO:<recipient>") {
            @Override
            public void execute(String commandString, Session sess) throws IOException {
                String reply = rcpt(settings, sess, Verbs.argument(commandString, "RCPT"));
                if (reply.startsWith("554 5.7.1 ")) {
                    events.rejected(ListenerEvents.Rejection.RELAY_DENIED);
                } else if (reply.startsWith("452 4.5.3 ")) {
                    events.rejected(ListenerEvents.Rejection.TOO_MANY_RECIPIENTS);
                }
                sess.sendResponse(reply);
            }
        };
    }

    private static String mail(ListenerSettings settings, Spool spool, Session sess, String args) {
        if (sess.getHelo().isEmpty()) {
            return "503 5.5.1 Send EHLO or HELO first";
        }
        if (sess.isMailTransactionInProgress()) {
            return "503 5.5.1 Sender already specified";
        }
        PathArgument arg;
        try {
            arg = PathArgument.parse(args, "FROM:");
        } catch (SmtpSyntaxException e) {
            return e.reply();
        }
        boolean utf8 = false;
        boolean eightBit = false;
        long declared = 0;
        for (Map.Entry<String, String> p : arg.parameters().entrySet()) {
            String value = p.getValue();
            switch (p.getKey()) {
                case "SIZE" -> {
                    // RFC 1870 §6: refuse a declared size above the limit; digits only, any length
                    if (!value.matches("[0-9]{1,20}")) {
                        return "501 5.5.4 SIZE needs a number of octets";
                    }
                    // RFC 1870 §4 size-value ::= 1*20DIGIT: leading zeros do not make it larger
                    String digits = value.replaceFirst("^0+(?=[0-9])", "");
                    if (digits.length() > 12 || Long.parseLong(digits) > settings.maxMessageSize()) {
                        return "552 5.3.4 Message size exceeds fixed maximum message size";
                    }
                    declared = Long.parseLong(digits);
                }
                case "BODY" -> {
                    if (value.equalsIgnoreCase("8BITMIME")) {
                        eightBit = true;
                    } else if (!value.equalsIgnoreCase("7BIT")) {
                        return "555 5.5.4 BODY=" + PathArgument.printable(value) + " not supported";
                    }
                }
                case "SMTPUTF8" -> {
                    if (!value.isEmpty()) {
                        return "501 5.5.4 SMTPUTF8 takes no value";
                    }
                    utf8 = true;
                }
                case "AUTH" -> {
                    // RFC 4954 §5: the AUTH parameter may be given; we need nothing from it
                }
                default -> {
                    return "555 5.5.4 Unsupported parameter " + PathArgument.printable(p.getKey());
                }
            }
        }
        Optional<MailAddress> sender = Optional.empty();
        if (!arg.path().isEmpty()) {
            try {
                sender = Optional.of(MailAddress.parse(arg.path(), utf8));
            } catch (IllegalArgumentException e) {
                return (utf8 || isAscii(arg.path()) ? "553 5.1.7 Bad sender address syntax: "
                        : "553 5.6.7 Non-ASCII sender needs SMTPUTF8: ") + PathArgument.printable(e.getMessage());
            }
        }
        if (!spool.hasRoomFor(declared)) {
            // RFC 1870 §6.1, RFC 3463 X.3.1: a temporary lack of storage, before any data is sent
            return "452 4.3.1 Insufficient system storage";
        }
        sess.startMailTransaction();
        ((Transaction) sess.getMessageHandler()).begin(sender, utf8, eightBit);
        return "250 2.1.0 Ok";
    }

    private static String rcpt(ListenerSettings settings, Session sess, String args) {
        if (!sess.isMailTransactionInProgress()) {
            return "503 5.5.1 Need MAIL command first";
        }
        Transaction tx = (Transaction) sess.getMessageHandler();
        if (sess.getRecipientCount() >= settings.maxRecipients()) {
            // RFC 5321 §4.5.3.1.10: 452 for too many recipients, so the client sends the rest later
            return "452 4.5.3 Too many recipients";
        }
        PathArgument arg;
        try {
            arg = PathArgument.parse(args, "TO:");
        } catch (SmtpSyntaxException e) {
            return e.reply();
        }
        if (!arg.parameters().isEmpty()) {
            return "555 5.5.4 Unsupported parameter " + PathArgument.printable(arg.parameters().keySet().iterator().next());
        }
        if (arg.path().isEmpty()) {
            return "501 5.1.3 Empty recipient address";
        }
        MailAddress recipient;
        try {
            recipient = MailAddress.parse(arg.path(), tx.smtpUtf8());
        } catch (IllegalArgumentException e) {
            return (tx.smtpUtf8() || isAscii(arg.path()) ? "553 5.1.3 Bad recipient address syntax: "
                    : "553 5.6.7 Non-ASCII recipient needs SMTPUTF8: ") + PathArgument.printable(e.getMessage());
        }
        if (!mayRelay(settings, sess)) {
            return "554 5.7.1 <" + PathArgument.printable(recipient.toString()) + ">: Relay access denied";
        }
        tx.add(recipient);
        sess.addRecipient(recipient.toString());
        return "250 2.1.5 Ok";
    }

    /** Only configured client networks and authenticated users may relay: never an open relay. */
    static boolean mayRelay(ListenerSettings settings, Session sess) {
        if (sess.isAuthenticated()) {
            return true;
        }
        InetAddress client = sess.getRemoteAddress().getAddress();
        return settings.clientNetworks().stream().anyMatch(n -> n.contains(client));
    }

    private static boolean isAscii(String s) {
        return s.chars().allMatch(c -> c < 0x80);
    }
}
