package relay.app.admin;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import relay.core.mail.Domain;
import relay.sts.cache.CachedPolicy;
import relay.sts.cache.PolicyStore;

/**
 * The MTA-STS policy cache under {@code /sts/cache}: {@code GET /sts/cache} (every cached policy,
 * by domain), {@code GET /sts/cache/DOMAIN} (one, with its lines and last failed fetch) and
 * {@code DELETE /sts/cache/DOMAIN} (purge: the next delivery discovers and fetches afresh, RFC
 * 8461 §3.3). Answers are JSON ({@link StsCacheJson}); errors are one sentence.
 */
final class StsCacheRoutes implements HttpHandler {

    private static final Logger LOG = LoggerFactory.getLogger("relay.admin");

    private final PolicyStore store;

    StsCacheRoutes(PolicyStore store) {
        this.store = store;
    }

    @Override
    public void handle(HttpExchange x) throws IOException {
        String path = x.getRequestURI().getPath();
        String rest = path.replaceFirst("^/sts/cache/?", "");
        String method = x.getRequestMethod();
        try {
            if (!path.equals("/sts/cache") && !path.startsWith("/sts/cache/")) {
                Exchanges.error(x, 404, "no such resource: " + path); // the context matches /sts/cachexyz too
            } else if (rest.isEmpty() && method.equals("GET")) {
                Exchanges.json(x, 200, store.all().stream().map(StsCacheJson.Policy::summary).toList());
            } else if (rest.isEmpty()) {
                refuse(x, "GET");
            } else if (rest.contains("/")) {
                Exchanges.error(x, 404, "no such resource: " + x.getRequestURI().getPath());
            } else if (method.equals("GET")) {
                Domain domain = domain(rest);
                Optional<CachedPolicy> cached = store.load(domain);
                if (cached.isPresent()) {
                    Exchanges.json(x, 200, StsCacheJson.Policy.detail(cached.get(),
                            store.failure(domain).map(StsCacheJson.Failure::of).orElse(null)));
                } else {
                    Exchanges.error(x, 404, notCached(domain));
                }
            } else if (method.equals("DELETE")) {
                Domain domain = domain(rest);
                if (store.delete(domain)) {
                    LOG.info("mta-sts cache purged domain={} (admin)", domain);
                    Exchanges.json(x, 200, new StsCacheJson.Purged(domain.name(), "purge"));
                } else {
                    Exchanges.error(x, 404, notCached(domain));
                }
            } else {
                refuse(x, "GET, DELETE");
            }
        } catch (IllegalArgumentException e) {
            Exchanges.error(x, 400, "'" + rest + "' is not a domain name");
        } catch (IllegalStateException e) {
            LOG.error("admin {} {} failed: {}", method, x.getRequestURI().getPath(), e.toString());
            Exchanges.error(x, 503, "the policy cache did not answer: " + e.getMessage());
        }
    }

    private static Domain domain(String text) {
        Domain d = Domain.parse(text);
        if (d.isAddressLiteral()) {
            throw new IllegalArgumentException("an address literal has no MTA-STS policy");
        }
        return d;
    }

    private static String notCached(Domain domain) {
        return "no MTA-STS policy of " + domain + " is cached";
    }

    private static void refuse(HttpExchange x, String allow) throws IOException {
        x.getResponseHeaders().set("Allow", allow);
        Exchanges.error(x, 405, x.getRequestMethod() + " is not allowed on " + x.getRequestURI().getPath()
                + "; use " + allow);
    }
}
