package relay.app;

import java.util.Locale;
import java.util.Optional;
import relay.core.mail.Domain;
import relay.core.outbound.Route;
import relay.core.policy.TlsRequirement;

/** Turns {@code delivery.routes} entries into {@link Route}s. */
final class Routes {

    private Routes() {
    }

    static Route toRoute(RelayConfig.RouteEntry e) {
        if (e.domain() == null || e.domain().isBlank()) {
            throw new IllegalArgumentException("needs a domain (or * for all mail)");
        }
        if (!e.domain().equals("*")) {
            Domain.parse(e.domain());
        }
        if (e.host() == null || e.host().isBlank()) {
            throw new IllegalArgumentException("needs a host");
        }
        TlsRequirement tls = e.tls() == null ? TlsRequirement.OPPORTUNISTIC : switch (e.tls().toLowerCase(Locale.ROOT)) {
            case "none" -> TlsRequirement.NONE;
            case "opportunistic", "may" -> TlsRequirement.OPPORTUNISTIC;
            case "verified", "verify", "secure" -> TlsRequirement.VERIFIED;
            default -> throw new IllegalArgumentException("tls must be none, opportunistic or verified, not '" + e.tls() + "'");
        };
        if ((e.user() == null) != (e.password() == null)) {
            throw new IllegalArgumentException("user and password go together");
        }
        if (e.user() != null && tls == TlsRequirement.NONE) {
            throw new IllegalArgumentException("AUTH needs TLS: credentials are never sent in clear");
        }
        int port = e.port() == null ? 25 : e.port();
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("bad port " + port);
        }
        Optional<Route.Credentials> auth = e.user() == null ? Optional.empty()
                : Optional.of(new Route.Credentials(e.user(), e.password()));
        return new Route(e.domain(), Domain.parse(e.host()), port, tls, auth);
    }
}
