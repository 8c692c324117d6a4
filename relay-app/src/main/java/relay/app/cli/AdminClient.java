package relay.app.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;

/**
 * The admin HTTP API as the {@code relay queue} commands use it. Every failure becomes one
 * {@link AdminException} sentence that says what to do, never a stack trace.
 */
final class AdminClient {

    static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule());
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final URI base;
    private final String token;
    private final HttpClient http;

    AdminClient(URI base, String token) {
        this.base = base;
        this.token = token;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    /** The answer's JSON body. */
    JsonNode send(String method, String path) throws AdminException {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path)).timeout(TIMEOUT)
                .method(method, HttpRequest.BodyPublishers.noBody()).header("Accept", "application/json");
        if (!token.isEmpty()) {
            request.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (ConnectException e) {
            throw new AdminException(unreachable("connection refused"));
        } catch (HttpTimeoutException e) {
            throw new AdminException(unreachable("no answer within " + TIMEOUT.toSeconds() + " s"));
        } catch (IOException e) {
            throw new AdminException(unreachable(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AdminException("interrupted while waiting for the relay's admin server at " + base);
        }
        JsonNode body = parse(response.body());
        int status = response.statusCode();
        if (status == 401) {
            throw new AdminException("the relay's admin server at " + base + " refused the request: " + error(body, status)
                    + " (give --token, or set admin.token / RELAY_ADMIN_TOKEN)");
        }
        if (status / 100 != 2) {
            throw new AdminException(error(body, status));
        }
        if (body == null) {
            throw new AdminException("the relay's admin server at " + base + " did not answer with JSON");
        }
        return body;
    }

    private String unreachable(String why) {
        return "cannot reach the relay's admin server at " + base + ": " + why;
    }

    private static JsonNode parse(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            return null;
        }
    }

    private static String error(JsonNode body, int status) {
        return body != null && body.hasNonNull("error") ? body.get("error").asText() : "HTTP status " + status;
    }

    /** A failure of an admin command, as one sentence. */
    static final class AdminException extends Exception {
        private static final long serialVersionUID = 1L;

        AdminException(String sentence) {
            super(sentence);
        }
    }
}
