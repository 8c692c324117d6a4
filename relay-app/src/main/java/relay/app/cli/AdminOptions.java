package relay.app.cli;

import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Option;
import relay.app.ConfigException;
import relay.app.ConfigLoader;
import relay.app.RelayConfig;

/**
 * Where the running relay's admin server is: {@code --admin URL} and {@code --token}, or else
 * what the relay's own configuration says ({@code --config FILE} and {@code RELAY_*}, as
 * {@code relay run} reads them).
 */
final class AdminOptions {

    @Option(names = "--admin", paramLabel = "URL",
            description = "The relay's admin server, e.g. http://127.0.0.1:8025 (default: admin.bind and admin.port"
                    + " of the configuration).")
    URI admin;

    @Option(names = "--token", paramLabel = "TOKEN",
            description = "Bearer token (default: admin.token of the configuration, or RELAY_ADMIN_TOKEN with --admin).")
    String token;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "The relay's configuration file, to find its admin server.")
    Path config;

    @Option(names = "--json", description = "Print the admin server's JSON instead of a table.")
    boolean json;

    AdminClient client(Map<String, String> environment) throws ConfigException {
        if (admin != null) {
            String t = token != null ? token : environment.getOrDefault("RELAY_ADMIN_TOKEN", "");
            return new AdminClient(withSlash(admin), t);
        }
        RelayConfig.Admin a = new ConfigLoader(environment).load(Optional.ofNullable(config)).admin();
        if (!a.enabled()) {
            throw new ConfigException("the relay's admin server is switched off (admin.enabled); give --admin URL");
        }
        return new AdminClient(URI.create("http://" + host(a.bind()) + ":" + a.port() + "/"), token != null ? token : a.token());
    }

    /** A wildcard bind is reached on loopback; an IPv6 literal needs brackets. */
    static String host(String bind) {
        String h = switch (bind) {
            case "0.0.0.0" -> "127.0.0.1";
            case "::", "[::]" -> "::1";
            default -> bind;
        };
        return h.contains(":") && !h.startsWith("[") ? "[" + h + "]" : h;
    }

    private static URI withSlash(URI u) {
        return u.getPath() == null || u.getPath().endsWith("/") ? u : URI.create(u + "/");
    }
}
