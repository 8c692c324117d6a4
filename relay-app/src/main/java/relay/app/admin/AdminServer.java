package relay.app.admin;

import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import relay.app.metrics.RelayMetrics;
import relay.queue.QueueControl;
import relay.sts.cache.PolicyStore;

/**
 * The admin HTTP server (the JDK's {@link HttpServer}): {@code GET /metrics} in the Prometheus
 * text format, {@code GET /health/live}, {@code GET /health/ready}, the queue under
 * {@code /queue} and the MTA-STS policy cache under {@code /sts/cache}. With a token, everything
 * but the health checks needs it: probes and container health checks carry no secret, and the
 * checks reveal nothing but their names and verdicts.
 */
public final class AdminServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger("relay.admin");

    private final HttpServer server;
    private final ExecutorService threads;

    private AdminServer(HttpServer server, ExecutorService threads) {
        this.server = server;
        this.threads = threads;
    }

    /**
     * Binds {@code address} and starts answering.
     *
     * @param token the bearer token; empty means none
     * @throws IOException when the address cannot be bound
     */
    public static AdminServer start(InetSocketAddress address, String token, RelayMetrics metrics, Readiness readiness,
            QueueControl queue, PolicyStore policies) throws IOException {
        HttpServer server = HttpServer.create(address, 16);
        AtomicInteger n = new AtomicInteger();
        ExecutorService threads = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "admin-http-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(threads);
        List<HttpContext> guarded = List.of(
                server.createContext("/metrics", get(x -> Exchanges.text(x, 200, RelayMetrics.contentType(),
                        metrics.scrape()))),
                server.createContext("/queue", new QueueRoutes(queue)),
                server.createContext("/sts/cache", new StsCacheRoutes(policies)),
                server.createContext("/", x -> Exchanges.error(x, 404, "no such resource: " + x.getRequestURI().getPath())));
        server.createContext("/health/live", get(x -> Exchanges.json(x, 200, Map.of("status", "live"))));
        server.createContext("/health/ready", get(x -> {
            List<Readiness.Check> checks = readiness.checks();
            boolean ready = Readiness.ready(checks);
            Exchanges.json(x, ready ? 200 : 503, Map.of("status", ready ? "ready" : "not-ready", "checks", checks));
        }));
        if (!token.isEmpty()) {
            guarded.forEach(c -> c.getFilters().add(new BearerToken(token)));
        }
        server.start();
        LOG.info("admin http={}:{} token={}", address.getHostString(), server.getAddress().getPort(),
                token.isEmpty() ? "none" : "required");
        return new AdminServer(server, threads);
    }

    /** Only GET (and HEAD) for a read-only resource. */
    private static HttpHandler get(HttpHandler handler) {
        return x -> {
            if (!x.getRequestMethod().equals("GET") && !x.getRequestMethod().equals("HEAD")) {
                x.getResponseHeaders().set("Allow", "GET");
                Exchanges.error(x, 405, x.getRequestMethod() + " is not allowed on " + x.getRequestURI().getPath());
                return;
            }
            handler.handle(x);
        };
    }

    /** The port bound (useful when the configured port is 0). */
    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
