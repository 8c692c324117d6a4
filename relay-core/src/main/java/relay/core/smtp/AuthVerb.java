package relay.core.smtp;

import java.io.IOException;
import java.util.Locale;
import java.util.Optional;
import org.subethamail.smtp.AuthenticationHandler;
import org.subethamail.smtp.AuthenticationHandlerFactory;
import org.subethamail.smtp.RejectException;
import org.subethamail.smtp.internal.server.BaseCommand;
import org.subethamail.smtp.server.Session;

/**
 * AUTH (RFC 4954) with SubEtha's PLAIN and LOGIN handlers. It replaces SubEtha's own AUTH
 * command, whose replies carry no enhanced status codes although the listener advertises
 * ENHANCEDSTATUSCODES (RFC 2034 §3: it said "535 Authentication credentials invalid" and
 * "235 Authentication successful.") and which accepted AUTH in the middle of a transaction.
 */
final class AuthVerb extends BaseCommand {

    private final boolean allowPlaintext;

    AuthVerb(boolean allowPlaintext) {
        super("AUTH", "Authenticates the client.", "<mechanism> [initial-response]");
        this.allowPlaintext = allowPlaintext;
    }

    @Override
    public void execute(String commandString, Session sess) throws IOException {
        Optional<AuthenticationHandlerFactory> factory = sess.getServer().getAuthenticationHandlerFactory();
        String refusal = refusal(sess, factory.isPresent());
        if (refusal != null) {
            sess.sendResponse(refusal);
            return;
        }
        String[] args = getArgs(commandString);
        if (args.length < 2 || args.length > 3) {
            sess.sendResponse("501 5.5.4 Syntax: AUTH mechanism [initial-response]");
            return;
        }
        if (!factory.get().getAuthenticationMechanisms().contains(args[1].toUpperCase(Locale.ROOT))) {
            // RFC 4954 §4: 504 for a mechanism the server does not support
            sess.sendResponse("504 5.5.4 Unrecognized authentication type");
            return;
        }
        AuthenticationHandler handler = factory.get().create();
        try {
            Optional<String> challenge = handler.auth(commandString, sess);
            while (challenge.isPresent()) {
                sess.sendResponse(challenge.get());
                String response = sess.getReader().readLine();
                if (response == null) {
                    return;
                }
                if (response.strip().equals("*")) {
                    // RFC 4954 §4: the client cancelled the exchange
                    sess.sendResponse("501 5.7.0 Authentication canceled");
                    return;
                }
                challenge = handler.auth(response, sess);
            }
        } catch (RejectException e) {
            sess.sendResponse(reply(e));
            return;
        }
        sess.setAuthenticationHandler(handler);
        sess.sendResponse("235 2.7.0 Authentication successful");
    }

    /** Why AUTH cannot start now, or null if it can. */
    private String refusal(Session sess, boolean offered) {
        if (!offered) {
            return "502 5.5.1 AUTH not available";
        }
        if (!sess.isTLSStarted() && !allowPlaintext) {
            // RFC 4954 §4 and §6: passwords travel only inside TLS
            return "538 5.7.11 Encryption required for requested authentication mechanism";
        }
        if (sess.isAuthenticated()) {
            // RFC 4954 §4: after a successful AUTH, further AUTH commands get 503
            return "503 5.5.1 Already authenticated";
        }
        if (sess.isMailTransactionInProgress()) {
            // RFC 4954 §4: AUTH is not permitted during a mail transaction
            return "503 5.5.1 AUTH not permitted during a mail transaction";
        }
        return null;
    }

    /** RFC 4954 §6 enhanced codes for the rejections of SubEtha's PLAIN and LOGIN handlers. */
    private static String reply(RejectException e) {
        return switch (e.getCode()) {
            case 535 -> "535 5.7.8 Authentication credentials invalid";
            case 501 -> "501 5.5.2 Cannot decode the response";
            case 504 -> "504 5.5.4 Unrecognized authentication type";
            default -> e.getCode() + (e.getCode() >= 500 ? " 5.7.0 " : " 4.7.0 ") + "Authentication failed";
        };
    }
}
