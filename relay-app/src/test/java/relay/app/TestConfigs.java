package relay.app;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import relay.core.testing.MiniDns;

/** The configuration lines every whole-relay IT starts from: loopback peers, ports picked by the OS. */
final class TestConfigs {

    private TestConfigs() {
    }

    /**
     * A relay with its data in {@code dir/data}, SMTP and admin on free ports, DNS from
     * {@code dns}, MX hosts on {@code mxPort} and {@code ca} trusted. The list ends inside the
     * {@code delivery} section, so the caller may add delivery keys first, then its own sections
     * (a section may appear only once).
     */
    static List<String> relay(Path dir, MiniDns dns, int mxPort, Path ca) {
        return new ArrayList<>(List.of(
                "hostname: relay.test",
                "data:",
                "  dir: " + dir.resolve("data"),
                "smtp:",
                "  port: 0",
                "admin:",
                "  port: 0",
                "dns:",
                "  servers: [\"127.0.0.1:" + dns.address().getPort() + "\"]",
                "  timeout: 1s",
                "delivery:",
                "  port: " + mxPort,
                "  connect-timeout: 2s",
                "  extra-ca-files: [\"" + ca + "\"]"));
    }
}
