package relay.app.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import relay.core.mail.QueueId;

/** {@code relay queue list|show ID|retry ID|delete ID|flush}, against a running relay's admin server. */
@Command(name = "queue", description = "Shows and acts on the queue of a running relay, through its admin HTTP server.",
        subcommands = {QueueCommand.ListMessages.class, QueueCommand.Show.class, QueueCommand.Retry.class,
            QueueCommand.Delete.class, QueueCommand.Flush.class})
public final class QueueCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 0;
    }

    /** What every queue command shares: where the admin server is, and how to print. */
    abstract static class AdminCommand implements Callable<Integer> {
        @Mixin
        AdminOptions options;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            JsonNode answer = run(options.client(System.getenv()));
            PrintWriter out = spec.commandLine().getOut();
            out.print(options.json ? AdminClient.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(answer) + "\n"
                    : text(answer));
            out.flush();
            return 0;
        }

        abstract JsonNode run(AdminClient admin) throws Exception;

        abstract String text(JsonNode answer);

        /** A queue id, checked before anything is sent. */
        static String id(String text) throws AdminClient.AdminException {
            try {
                return new QueueId(text).value();
            } catch (IllegalArgumentException e) {
                throw new AdminClient.AdminException("'" + text + "' is not a queue id (as in \"queued as 0123456789ABCDEFG\")");
            }
        }
    }

    @Command(name = "list", description = "Lists queued messages, oldest first, one line per recipient.")
    static final class ListMessages extends AdminCommand {
        @picocli.CommandLine.Option(names = "--limit", paramLabel = "N", defaultValue = "1000",
                description = "At most this many messages (default ${DEFAULT-VALUE}).")
        int limit;

        @Override
        JsonNode run(AdminClient admin) throws Exception {
            return admin.send("GET", "queue?limit=" + Math.max(1, limit));
        }

        @Override
        String text(JsonNode answer) {
            return QueueTable.list(answer);
        }
    }

    @Command(name = "show", description = "Shows one message with each recipient's state and last reply.")
    static final class Show extends AdminCommand {
        @Parameters(paramLabel = "ID", description = "The queue id (from \"queued as ID\" or queue list).")
        String id;

        @Override
        JsonNode run(AdminClient admin) throws Exception {
            return admin.send("GET", "queue/" + id(id));
        }

        @Override
        String text(JsonNode answer) {
            return QueueTable.show(answer);
        }
    }

    @Command(name = "retry", description = "Makes the message's deferred recipients due now.")
    static final class Retry extends AdminCommand {
        @Parameters(paramLabel = "ID")
        String id;

        @Override
        JsonNode run(AdminClient admin) throws Exception {
            return admin.send("POST", "queue/" + id(id) + "/retry");
        }

        @Override
        String text(JsonNode answer) {
            return answer.get("id").asText() + ": " + recipients(answer) + " made due now\n";
        }
    }

    @Command(name = "delete", description = "Deletes the message from the queue. No bounce is sent to its sender.")
    static final class Delete extends AdminCommand {
        @Parameters(paramLabel = "ID")
        String id;

        @Override
        JsonNode run(AdminClient admin) throws Exception {
            return admin.send("DELETE", "queue/" + id(id));
        }

        @Override
        String text(JsonNode answer) {
            return answer.get("id").asText() + ": deleted (no bounce sent)\n";
        }
    }

    @Command(name = "flush", description = "Makes every deferred recipient due now.")
    static final class Flush extends AdminCommand {
        @Override
        JsonNode run(AdminClient admin) throws Exception {
            return admin.send("POST", "queue/flush");
        }

        @Override
        String text(JsonNode answer) {
            return "flush: " + recipients(answer) + " made due now\n";
        }
    }

    private static String recipients(JsonNode answer) {
        int n = answer.get("recipients").asInt();
        return n + (n == 1 ? " deferred recipient" : " deferred recipients");
    }
}
