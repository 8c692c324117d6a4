package relay.core.smtp;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.subethamail.smtp.MessageHandler;
import org.subethamail.smtp.RejectException;
import relay.core.mail.Envelope;
import relay.core.mail.MailAddress;

/**
 * One mail transaction (RFC 5321 §3.3) as the listener's own commands build it. SubEtha creates
 * one per transaction and drops it on RSET, EHLO, STARTTLS and after DATA. Its own MAIL, RCPT,
 * DATA and BDAT are replaced, so the {@link MessageHandler} methods are never called; should one
 * be, it refuses rather than accept mail behind the listener's back.
 */
final class Transaction implements MessageHandler {

    private Optional<MailAddress> sender = Optional.empty();
    private boolean smtpUtf8;
    private boolean eightBit;
    private final Set<MailAddress> recipients = new LinkedHashSet<>();

    void begin(Optional<MailAddress> sender, boolean smtpUtf8, boolean eightBit) {
        this.sender = sender;
        this.smtpUtf8 = smtpUtf8;
        this.eightBit = eightBit;
    }

    boolean smtpUtf8() {
        return smtpUtf8;
    }

    /** Adds a recipient; a repeated one is accepted once (RFC 5321 §3.3 leaves duplicates to us). */
    void add(MailAddress recipient) {
        recipients.add(recipient);
    }

    Envelope envelope() {
        return new Envelope(sender, new ArrayList<>(recipients), smtpUtf8, eightBit);
    }

    List<MailAddress> recipients() {
        return List.copyOf(recipients);
    }

    @Override
    public void from(String from) throws RejectException {
        throw new RejectException(502, "5.5.1 Command not implemented");
    }

    @Override
    public void recipient(String recipient) throws RejectException {
        throw new RejectException(502, "5.5.1 Command not implemented");
    }

    @Override
    public String data(InputStream data) throws RejectException {
        throw new RejectException(502, "5.5.1 Command not implemented");
    }

    @Override
    public void done() {
        // nothing held: the spool owns everything once DATA succeeded
    }
}
