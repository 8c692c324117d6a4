package relay.core.smtp;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.time.Clock;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.random.RandomGenerator;
import javax.net.ssl.SSLSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.subethamail.smtp.DropConnectionException;
import org.subethamail.smtp.internal.server.BaseCommand;
import org.subethamail.smtp.server.Session;
import relay.core.mail.Envelope;
import relay.core.mail.MailAddress;
import relay.core.mail.QueueId;
import relay.core.spool.Spool;
import relay.core.spool.SpoolException;

/**
 * DATA (RFC 5321 §4.1.1.4): streams the message into the spool and says {@code 250} only once it
 * is stored. Whatever goes wrong, the rest of the message is read and discarded before the
 * reply, so no line of it is ever taken for a command, and the transaction is reset.
 */
final class DataVerb extends BaseCommand {

    private static final Logger LOG = LoggerFactory.getLogger("relay.smtp");

    private final ListenerSettings settings;
    private final SessionRegistry sessions;
    private final Spool spool;
    private final Clock clock;
    private final RandomGenerator random;
    private final MessageAssembler assembler;
    private final ListenerEvents events;

    DataVerb(ListenerSettings settings, SessionRegistry sessions, Spool spool, Clock clock, RandomGenerator random,
            ListenerEvents events) {
        super("DATA", "Sends the message.");
        this.settings = settings;
        this.sessions = sessions;
        this.spool = spool;
        this.clock = clock;
        this.random = random;
        this.events = events;
        this.assembler = new MessageAssembler(settings.maxReceivedHeaders());
    }

    @Override
    public void execute(String commandString, Session sess) throws IOException, DropConnectionException {
        if (!sess.isMailTransactionInProgress()) {
            sess.sendResponse("503 5.5.1 Need MAIL command first");
            return;
        }
        if (sess.getRecipientCount() == 0) {
            sess.sendResponse("554 5.5.1 No valid recipients");
            return;
        }
        if (!Verbs.argument(commandString, "DATA").isEmpty()) {
            sess.sendResponse("501 5.5.4 DATA takes no arguments");
            return;
        }
        Transaction tx = (Transaction) sess.getMessageHandler();
        Envelope envelope = tx.envelope();
        sess.sendResponse("354 End data with <CR><LF>.<CR><LF>");

        Socket socket = sess.getSocket();
        int commandTimeout = socket.getSoTimeout();
        // RFC 5321 §4.5.3.2.5-6: the server's wait for each data block and the final dot
        socket.setSoTimeout(Math.toIntExact(settings.dataTimeout().toMillis()));
        if (!(sess.getRawInput() instanceof BufferedInputStream raw)) {
            throw new IllegalStateException("SubEtha's session input is not buffered");
        }
        InputStream unstuffed = new DataStream(raw);
        SizeLimitedInputStream counted = new SizeLimitedInputStream(unstuffed, settings.maxMessageSize());
        QueueId id = QueueId.generate(clock.instant(), random);
        String reply;
        try {
            ZonedDateTime now = ZonedDateTime.now(clock);
            MessageAssembler.Assembled message = assembler.assembleMessage(new BufferedInputStream(counted, 16 * 1024),
                    received(sess, tx.recipients(), envelope, id, now), id + "@" + settings.hostName(), now);
            spool.accept(id, message.tlsRequiredNo() ? envelope.withTlsOptional() : envelope, message.stream());
            reply = "250 2.0.0 Ok: queued as " + id;
            LOG.info("accepted id={} from={} nrcpt={} size={} client={} helo={} tls={} auth={}", id,
                    envelope.reversePath(), envelope.recipients().size(), counted.count(), clientIp(sess),
                    PathArgument.printable(sess.getHelo().orElse("")), tlsVersion(sess).orElse("none"),
                    sess.isAuthenticated() ? "yes" : "no");
            events.accepted(envelope.recipients().size(), counted.count());
        } catch (SizeLimitedInputStream.MessageTooLargeException e) {
            reply = "552 5.3.4 Message size exceeds fixed maximum message size";
            events.rejected(ListenerEvents.Rejection.MESSAGE_TOO_LARGE);
            refused(sess, envelope, reply, unstuffed);
        } catch (MessageAssembler.RoutingLoopException e) {
            reply = "554 5.4.6 Too many hops (" + e.getMessage() + "): mail loop?";
            events.rejected(ListenerEvents.Rejection.MAIL_LOOP);
            refused(sess, envelope, reply, unstuffed);
        } catch (SpoolException e) {
            LOG.error("cannot store message from client={}: {}", clientIp(sess), e.toString(), e);
            reply = "452 4.3.1 Insufficient system storage, try again later";
            events.rejected(ListenerEvents.Rejection.STORAGE_FAILED);
            refused(sess, envelope, reply, unstuffed);
        } finally {
            if (!socket.isClosed()) {
                socket.setSoTimeout(commandTimeout);
            }
        }
        sess.resetMailTransaction();
        sess.sendResponse(reply);
    }

    private void refused(Session sess, Envelope envelope, String reply, InputStream unstuffed)
            throws IOException, DropConnectionException {
        LOG.info("refused from={} nrcpt={} client={} reply=\"{}\"", envelope.reversePath(),
                envelope.recipients().size(), clientIp(sess), reply);
        drain(unstuffed);
    }

    /**
     * Reads the rest of the message up to its final dot. A client that keeps sending far past the
     * limit is cut off (RFC 5321 §4.5.3.1.10 lets a server close after a 552).
     */
    private void drain(InputStream unstuffed) throws IOException, DropConnectionException {
        long budget = 2L * settings.maxMessageSize() + 1024 * 1024;
        byte[] buf = new byte[16 * 1024];
        int n;
        while ((n = unstuffed.read(buf)) >= 0) {
            budget -= n;
            if (budget < 0) {
                throw new DropConnectionException(552, "5.3.4 Message far too big, closing connection");
            }
        }
    }

    /** RFC 5321 §4.4 trace field, with the RFC 3848 protocol and the TLS parameters as a comment. */
    private String received(Session sess, List<MailAddress> recipients, Envelope envelope, QueueId id, ZonedDateTime now) {
        boolean tls = sess.isTLSStarted();
        boolean auth = sess.isAuthenticated();
        boolean esmtp = sessions.isExtended(sess);
        String protocol = envelope.smtpUtf8() ? "UTF8SMTP" : esmtp ? "ESMTP" : "SMTP";
        if (esmtp || envelope.smtpUtf8()) {
            protocol += (tls ? "S" : "") + (auth ? "A" : "");
        }
        StringBuilder sb = new StringBuilder("Received: from ")
                .append(PathArgument.printable(sess.getHelo().orElse("unknown")).replace('(', '_').replace(')', '_'))
                .append(" ([").append(clientIp(sess)).append("])\r\n");
        tlsVersion(sess).ifPresent(v -> sb.append("\t(using ").append(v).append(" with cipher ")
                .append(((SSLSocket) sess.getSocket()).getSession().getCipherSuite()).append(")\r\n"));
        sb.append("\tby ").append(settings.hostName()).append(" (relay) with ").append(protocol)
                .append(" id ").append(id);
        if (recipients.size() == 1) {
            sb.append("\r\n\tfor <").append(recipients.get(0)).append(">");
        }
        return sb.append(";\r\n\t").append(MessageAssembler.RFC5322_DATE.format(now)).append("\r\n").toString();
    }

    private static java.util.Optional<String> tlsVersion(Session sess) {
        return sess.getSocket() instanceof SSLSocket s && sess.isTLSStarted()
                ? java.util.Optional.of(s.getSession().getProtocol()) : java.util.Optional.empty();
    }

    private static String clientIp(Session sess) {
        InetAddress a = sess.getRemoteAddress().getAddress();
        return a.getHostAddress();
    }
}
