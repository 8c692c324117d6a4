package relay.app.admin;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import relay.queue.QueueControl;
import relay.queue.QueueStore;

/**
 * The JSON shapes of the queue endpoints, shared by the server and the {@code relay queue}
 * commands that read them. Absent values are {@code null}; the null sender {@code <>} is {@code ""}.
 */
public final class QueueJson {

    private QueueJson() {
    }

    /** One queued message. */
    public record Message(String id, String sender, Instant arrival, long size, List<Recipient> recipients) {

        static Message of(QueueControl.MessageView m) {
            return new Message(m.id().value(), m.sender().orElse(""), m.arrival(), m.size(),
                    m.recipients().stream().map(Recipient::of).toList());
        }
    }

    /** One recipient: state is queued, delivering, deferred, delivered or bounced. */
    public record Recipient(String address, String state, int attempts, Instant nextAttempt, String lastStatus,
            String lastReply, String remoteMta) {

        static Recipient of(QueueStore.RecipientView r) {
            return new Recipient(r.address(), r.state().toLowerCase(Locale.ROOT), r.attempts(), r.nextAttemptAt(),
                    r.lastStatus().orElse(null), r.lastDiagnostic().orElse(null), r.remoteMta().orElse(null));
        }
    }

    /** The answer to an action: the message it concerned (null for a flush) and how many recipients. */
    public record Action(String id, String action, int recipients) {
    }

    /** Any error: one sentence. */
    public record Error(String error) {
    }
}
