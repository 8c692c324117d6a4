package relay.core.smtp;

import java.io.IOException;
import javax.net.ssl.SSLSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.subethamail.smtp.DropConnectionException;
import org.subethamail.smtp.internal.server.BaseCommand;
import org.subethamail.smtp.server.Session;

/** STARTTLS (RFC 3207). AUTH, which needs TLS unless the operator allows otherwise, is {@link AuthVerb}. */
final class TlsVerbs {

    private static final Logger LOG = LoggerFactory.getLogger("relay.smtp");

    private TlsVerbs() {
    }

    /**
     * RFC 3207 §4.2: after the handshake both sides forget what they knew, and the client says
     * EHLO again. A failed handshake ends the connection: the socket is in an unknown state, and
     * going on in plaintext would be a downgrade.
     */
    static BaseCommand startTls(boolean offered) {
        return new BaseCommand("STARTTLS", "Starts TLS.") {
            @Override
            public void execute(String commandString, Session sess) throws IOException, DropConnectionException {
                if (!Verbs.argument(commandString, "STARTTLS").isEmpty()) {
                    sess.sendResponse("501 5.5.4 STARTTLS takes no arguments");
                    return;
                }
                if (!offered) {
                    sess.sendResponse("502 5.5.1 STARTTLS not offered");
                    return;
                }
                if (sess.isTLSStarted() || sess.getSocket() instanceof SSLSocket) {
                    // RFC 3207 §4: a second STARTTLS in a TLS session is refused
                    sess.sendResponse("503 5.5.1 TLS already active");
                    return;
                }
                if (sess.isAuthenticated()) {
                    // RFC 3207 §4.2: everything learned before TLS is forgotten after it, and a
                    // SubEtha session cannot forget a login; so no STARTTLS after plaintext AUTH
                    sess.sendResponse("503 5.5.1 STARTTLS not allowed after AUTH");
                    return;
                }
                sess.sendResponse("220 2.0.0 Ready to start TLS");
                try {
                    SSLSocket tls = sess.getServer().createSSLSocket(sess.getSocket());
                    tls.startHandshake();
                    sess.setSocket(tls);
                    sess.resetSmtpProtocol();
                    sess.setTlsStarted(true);
                } catch (IOException e) {
                    LOG.info("TLS handshake failed client={}: {}", sess.getRemoteAddress().getAddress().getHostAddress(),
                            e.getMessage());
                    sess.quit();
                }
            }
        };
    }
}
