package relay.core.smtp;

import java.io.IOException;
import org.subethamail.smtp.internal.server.BaseCommand;
import org.subethamail.smtp.server.Session;

/** Small commands whose SubEtha replies lack enhanced status codes (RFC 2034 §3). */
final class Verbs {

    private Verbs() {
    }

    /** The text after the verb, without the space that separates them. */
    static String argument(String commandString, String verb) {
        return commandString.length() > verb.length() ? commandString.substring(verb.length()).stripLeading() : "";
    }

    static BaseCommand rset() {
        return new BaseCommand("RSET", "Resets the mail transaction.") {
            @Override
            public void execute(String commandString, Session sess) throws IOException {
                sess.resetMailTransaction();
                sess.sendResponse("250 2.0.0 Ok");
            }
        };
    }

    static BaseCommand noop() {
        return new BaseCommand("NOOP", "Does nothing.") {
            @Override
            public void execute(String commandString, Session sess) throws IOException {
                sess.sendResponse("250 2.0.0 Ok");
            }
        };
    }

    static BaseCommand quit() {
        return new BaseCommand("QUIT", "Closes the connection.") {
            @Override
            public void execute(String commandString, Session sess) throws IOException {
                sess.sendResponse("221 2.0.0 Bye");
                sess.quit();
            }
        };
    }

    /** A command the relay does not offer: VRFY and EXPN (RFC 5321 §7.3), BDAT (not advertised). */
    static BaseCommand refused(String verb, String reply) {
        return new BaseCommand(verb, "Not offered.") {
            @Override
            public void execute(String commandString, Session sess) throws IOException {
                sess.sendResponse(reply);
            }
        };
    }
}
