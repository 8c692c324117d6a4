package relay.app.admin;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * RFC 6750 §2.1: every request must carry {@code Authorization: Bearer <token>}; anything else
 * gets {@code 401} with {@code WWW-Authenticate: Bearer}. The comparison takes the same time
 * however much of the token matches.
 */
final class BearerToken extends Filter {

    private final byte[] expected;

    BearerToken(String token) {
        this.expected = ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void doFilter(HttpExchange x, Chain chain) throws IOException {
        String given = x.getRequestHeaders().getFirst("Authorization");
        if (given != null && MessageDigest.isEqual(expected, given.strip().getBytes(StandardCharsets.UTF_8))) {
            chain.doFilter(x);
            return;
        }
        x.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"relay\"");
        Exchanges.error(x, 401, given == null ? "this admin server needs Authorization: Bearer <token>"
                : "the bearer token is wrong");
    }

    @Override
    public String description() {
        return "bearer token";
    }
}
