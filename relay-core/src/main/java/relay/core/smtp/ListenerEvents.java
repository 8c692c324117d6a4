package relay.core.smtp;

import java.util.Locale;

/**
 * What the listener tells an observer (metrics) about the mail it takes and refuses. Called on
 * session threads; must be cheap and must never throw into a session.
 */
public interface ListenerEvents {

    /** A message is on disk and its client got {@code 250}. */
    void accepted(int recipients, long octets);

    /** A command, a message or a connection was refused, for {@code reason}. */
    void rejected(Rejection reason);

    /** Why the listener said no; {@link #token()} is the metric tag. */
    enum Rejection {
        /** RCPT from a client outside the client networks that did not authenticate: 554 5.7.1. */
        RELAY_DENIED,
        /** A declared SIZE or the octets received above the limit: 552 5.3.4. */
        MESSAGE_TOO_LARGE,
        /** More RCPT commands than allowed: 452 4.5.3. */
        TOO_MANY_RECIPIENTS,
        /** More Received fields than allowed: 554 5.4.6. */
        MAIL_LOOP,
        /** The spool could not store the message: 452 4.3.1. */
        STORAGE_FAILED,
        /** Too many connections from one client: 421 4.7.0. */
        TOO_MANY_CONNECTIONS;

        /** {@code relay-denied}, {@code message-too-large}, ... */
        public String token() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    /** Tells nobody: for tests and for a relay without metrics. */
    static ListenerEvents none() {
        return new ListenerEvents() {
            @Override
            public void accepted(int recipients, long octets) {
            }

            @Override
            public void rejected(Rejection reason) {
            }
        };
    }
}
