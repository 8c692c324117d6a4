package relay.core.smtp;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.subethamail.smtp.internal.server.BaseCommand;
import org.subethamail.smtp.server.Session;

/** EHLO and HELO (RFC 5321 §4.1.1.1), with the extensions the relay really implements. */
final class HelloVerbs {

    private HelloVerbs() {
    }

    static BaseCommand ehlo(ListenerSettings settings, SessionRegistry sessions) {
        return new BaseCommand("EHLO", "Introduce yourself.", "<hostname>") {
            @Override
            public void execute(String commandString, Session sess) throws IOException {
                String name = Verbs.argument(commandString, "EHLO");
                if (name.isEmpty() || name.contains(" ")) {
                    sess.sendResponse("501 5.5.4 Syntax: EHLO hostname");
                    return;
                }
                // RFC 5321 §4.1.4: EHLO resets the transaction state
                sess.resetMailTransaction();
                sess.setHelo(name);
                sessions.greeted(sess, true);
                sess.sendResponse(String.join("\r\n", capabilities(settings, sess)));
            }
        };
    }

    static BaseCommand helo(SessionRegistry sessions) {
        return new BaseCommand("HELO", "Introduce yourself.", "<hostname>") {
            @Override
            public void execute(String commandString, Session sess) throws IOException {
                String name = Verbs.argument(commandString, "HELO");
                if (name.isEmpty() || name.contains(" ")) {
                    sess.sendResponse("501 Syntax: HELO hostname");
                    return;
                }
                sess.resetMailTransaction();
                sess.setHelo(name);
                sessions.greeted(sess, false);
                sess.sendResponse("250 " + sess.getServer().getHostName());
            }
        };
    }

    static List<String> capabilities(ListenerSettings settings, Session sess) {
        List<String> lines = new ArrayList<>();
        lines.add(settings.hostName());
        lines.add("PIPELINING");
        lines.add("SIZE " + settings.maxMessageSize());
        lines.add("8BITMIME");
        lines.add("SMTPUTF8");
        lines.add("ENHANCEDSTATUSCODES");
        if (settings.tls().isPresent() && !sess.isTLSStarted()) {
            lines.add("STARTTLS");
        }
        if (settings.users().isPresent() && (sess.isTLSStarted() || settings.allowPlaintextAuth())) {
            lines.add("AUTH PLAIN LOGIN");
        }
        List<String> reply = new ArrayList<>(lines.size());
        for (int i = 0; i < lines.size(); i++) {
            reply.add((i == lines.size() - 1 ? "250 " : "250-") + lines.get(i));
        }
        return reply;
    }
}
