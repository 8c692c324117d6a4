package relay.app.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/** Writing answers: JSON bodies (instants as ISO-8601 text) and plain text. */
final class Exchanges {

    /** The mapper of the admin API, shared with its client: instants as {@code 2026-01-02T03:04:05Z}. */
    static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

    private Exchanges() {
    }

    static void json(HttpExchange x, int status, Object body) throws IOException {
        send(x, status, "application/json", JSON.writeValueAsBytes(body));
    }

    static void error(HttpExchange x, int status, String sentence) throws IOException {
        json(x, status, new QueueJson.Error(sentence));
    }

    static void text(HttpExchange x, int status, String contentType, String body) throws IOException {
        send(x, status, contentType, body.getBytes(StandardCharsets.UTF_8));
    }

    private static void send(HttpExchange x, int status, String contentType, byte[] body) throws IOException {
        x.getResponseHeaders().set("Content-Type", contentType);
        x.getResponseHeaders().set("Cache-Control", "no-store");
        boolean head = "HEAD".equals(x.getRequestMethod());
        x.sendResponseHeaders(status, head ? -1 : body.length == 0 ? -1 : body.length);
        if (!head && body.length > 0) {
            try (OutputStream out = x.getResponseBody()) {
                out.write(body);
            }
        }
        x.close();
    }
}
