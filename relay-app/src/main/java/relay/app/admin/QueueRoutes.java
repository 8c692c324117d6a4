package relay.app.admin;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.sql.SQLException;
import java.util.OptionalInt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import relay.core.mail.QueueId;
import relay.queue.QueueControl;

/**
 * The queue views and actions under {@code /queue}: {@code GET /queue[?limit=N]},
 * {@code GET /queue/ID}, {@code POST /queue/ID/retry}, {@code DELETE /queue/ID} (no DSN) and
 * {@code POST /queue/flush}. Answers are JSON ({@link QueueJson}); errors are one sentence.
 */
final class QueueRoutes implements HttpHandler {

    private static final Logger LOG = LoggerFactory.getLogger("relay.admin");
    static final int DEFAULT_LIMIT = 1000;

    private final QueueControl queue;

    QueueRoutes(QueueControl queue) {
        this.queue = queue;
    }

    @Override
    public void handle(HttpExchange x) throws IOException {
        String[] parts = x.getRequestURI().getPath().replaceFirst("^/queue/?", "").split("/", -1);
        String method = x.getRequestMethod();
        try {
            if (parts.length == 1 && parts[0].isEmpty()) {
                expect(x, "GET");
                Exchanges.json(x, 200, queue.list(limit(x)).stream().map(QueueJson.Message::of).toList());
            } else if (parts.length == 1 && parts[0].equals("flush")) {
                expect(x, "POST");
                Exchanges.json(x, 200, new QueueJson.Action(null, "flush", queue.retryAll()));
            } else if (parts.length == 1 && method.equals("DELETE")) {
                delete(x, id(parts[0]));
            } else if (parts.length == 1) {
                expect(x, "GET");
                QueueId id = id(parts[0]);
                var m = queue.message(id);
                if (m.isPresent()) {
                    Exchanges.json(x, 200, QueueJson.Message.of(m.get()));
                } else {
                    Exchanges.error(x, 404, notQueued(id));
                }
            } else if (parts.length == 2 && parts[1].equals("retry")) {
                expect(x, "POST");
                QueueId id = id(parts[0]);
                OptionalInt n = queue.retryNow(id);
                if (n.isPresent()) {
                    Exchanges.json(x, 200, new QueueJson.Action(id.value(), "retry", n.getAsInt()));
                } else {
                    Exchanges.error(x, 404, notQueued(id));
                }
            } else {
                Exchanges.error(x, 404, "no such resource: " + x.getRequestURI().getPath());
            }
        } catch (BadRequest e) {
            Exchanges.error(x, e.status, e.getMessage());
        } catch (SQLException e) {
            LOG.error("admin {} {} failed: {}", method, x.getRequestURI().getPath(), e.toString());
            Exchanges.error(x, 503, "the queue database did not answer: " + e.getMessage());
        }
    }

    private void delete(HttpExchange x, QueueId id) throws IOException, SQLException {
        switch (queue.delete(id)) {
            case DELETED -> Exchanges.json(x, 200, new QueueJson.Action(id.value(), "delete", 0));
            case NOT_FOUND -> Exchanges.error(x, 404, notQueued(id));
            case DELIVERING -> Exchanges.error(x, 409, "message " + id + " is being delivered right now; try again"
                    + " when the attempt has ended");
        }
    }

    private static String notQueued(QueueId id) {
        return "no message " + id + " in the queue";
    }

    private static void expect(HttpExchange x, String method) throws BadRequest {
        if (!x.getRequestMethod().equals(method)) {
            x.getResponseHeaders().set("Allow", method);
            throw new BadRequest(405, x.getRequestMethod() + " is not allowed on " + x.getRequestURI().getPath()
                    + "; use " + method);
        }
    }

    private static QueueId id(String text) throws BadRequest {
        try {
            return new QueueId(text);
        } catch (IllegalArgumentException e) {
            throw new BadRequest(400, "'" + text + "' is not a queue id");
        }
    }

    private static int limit(HttpExchange x) throws BadRequest {
        String query = x.getRequestURI().getQuery();
        if (query == null) {
            return DEFAULT_LIMIT;
        }
        for (String p : query.split("&")) {
            if (p.startsWith("limit=")) {
                try {
                    int n = Integer.parseInt(p.substring(6));
                    if (n > 0) {
                        return n;
                    }
                } catch (NumberFormatException e) {
                    // falls through to the error below
                }
                throw new BadRequest(400, "limit must be a positive number");
            }
        }
        return DEFAULT_LIMIT;
    }

    /** A request the API refuses, with its status. */
    private static final class BadRequest extends Exception {
        private static final long serialVersionUID = 1L;
        final int status;

        BadRequest(int status, String message) {
            super(message);
            this.status = status;
        }
    }
}
