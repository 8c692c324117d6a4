package relay.core.outbound;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import relay.core.delivery.DeliveryRequest;
import relay.core.delivery.Outcome;
import relay.core.mail.MailAddress;

/**
 * One MAIL/RCPT/DATA transaction on an established session (RFC 5321 §3.3), pipelined when the
 * server offers PIPELINING (RFC 2920, DATA last in the group). Replies to RCPT settle single
 * recipients; the reply to the final dot settles every accepted one.
 */
final class MailTransaction {

    private MailTransaction() {
    }

    /**
     * @return empty when the transaction ran (recipients settled), or the host-level failure that
     *     says another host should be tried
     */
    static Optional<HostFailure> run(SmtpSession s, DeliveryRequest req, List<MailAddress> rcpts, Recipients state,
            String mx, SmtpTimeouts t) throws IOException {
        Optional<String> remote = Optional.of(mx);
        Capabilities caps = s.capabilities();
        if (req.envelope().smtpUtf8() && !caps.has("SMTPUTF8")) {
            // RFC 6531 §3.4: never downgrade a message that needs SMTPUTF8
            return Optional.of(new HostFailure("5.6.7", mx + " does not support SMTPUTF8, which this message needs", remote, true));
        }
        long size = req.message().size();
        if (caps.maxSize().isPresent() && size > caps.maxSize().get()) {
            // RFC 1870 §6: the server's fixed maximum: no host of this domain will take it
            Outcome o = new Outcome.Bounced("5.3.4", "message of " + size + " octets exceeds the " + caps.maxSize().get()
                    + "-octet limit of " + mx, remote);
            state.settleAll(rcpts, o);
            return Optional.empty();
        }
        StringBuilder mail = new StringBuilder("MAIL FROM:").append(req.envelope().reversePath());
        if (caps.has("SIZE")) {
            mail.append(" SIZE=").append(size);
        }
        if (req.envelope().eightBit() && caps.has("8BITMIME")) {
            mail.append(" BODY=8BITMIME");
        }
        if (req.envelope().smtpUtf8()) {
            mail.append(" SMTPUTF8");
        }
        List<String> commands = new ArrayList<>();
        commands.add(mail.toString());
        rcpts.forEach(r -> commands.add("RCPT TO:<" + r + ">"));
        commands.add("DATA");
        List<SmtpReply> replies = new ArrayList<>();
        if (caps.has("PIPELINING")) {
            replies.addAll(s.pipeline(commands, t.command()));
        } else {
            boolean anyAccepted = false;
            for (String c : commands) {
                if (c.equals("DATA") && !anyAccepted) {
                    // without pipelining there is no need to ask for DATA that would be refused
                    replies.add(new SmtpReply(554, List.of("5.5.1 no recipient accepted (DATA not sent)")));
                    break;
                }
                SmtpReply r = s.command(c, c.equals("DATA") ? t.dataInit() : t.command());
                replies.add(r);
                if (c.startsWith("MAIL") && !r.positive()) {
                    break;
                }
                anyAccepted |= c.startsWith("RCPT") && r.positive();
            }
        }
        SmtpReply mailReply = replies.get(0);
        if (!mailReply.positive()) {
            s.markBroken();
            if (mailReply.permanentFailure()) {
                state.settleAll(rcpts, Classifier.fromReply(mailReply, mx));
                return Optional.empty();
            }
            return Optional.of(HostFailure.temporary(Classifier.status(mailReply), mx + " said " + mailReply, remote));
        }
        List<MailAddress> accepted = new ArrayList<>();
        for (int i = 0; i < rcpts.size(); i++) {
            SmtpReply r = replies.get(i + 1);
            if (r.positive()) {
                accepted.add(rcpts.get(i));
            } else {
                state.settle(rcpts.get(i), Classifier.fromReply(r, mx));
            }
        }
        SmtpReply dataReply = replies.get(replies.size() - 1);
        if (accepted.isEmpty()) {
            // the pipelined DATA was refused as it should be; start clean for the next message
            if (dataReply.code() == 354) {
                s.markBroken();
            } else if (!s.command("RSET", t.command()).positive()) {
                s.markBroken();
            }
            return Optional.empty();
        }
        if (dataReply.code() != 354) {
            s.markBroken();
            state.settleAll(accepted, Classifier.fromReply(dataReply, mx));
            return Optional.empty();
        }
        SmtpReply end = s.data(req.message());
        if (!end.positive()) {
            s.markBroken();
        }
        state.settleAll(accepted, Classifier.fromReply(end, mx));
        return Optional.empty();
    }
}
