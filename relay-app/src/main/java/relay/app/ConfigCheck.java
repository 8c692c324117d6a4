package relay.app;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import relay.core.mail.Domain;
import relay.core.smtp.Cidr;
import relay.core.smtp.PasswordHash;

/** Range and consistency checks that the YAML types alone cannot express. */
final class ConfigCheck {

    private ConfigCheck() {
    }

    /** Fields of {@code delivery.routes} entries that may be left out. */
    private static final java.util.Set<String> OPTIONAL = java.util.Set.of("port", "tls", "user", "password");

    static void validate(RelayConfig c) throws ConfigException {
        noNulls(c, "");
        if (!c.hostname().isBlank()) {
            try {
                Domain.parse(c.hostname());
            } catch (IllegalArgumentException e) {
                fail("hostname", e.getMessage());
            }
        }
        if (c.data().dir().toString().isBlank()) {
            fail("data.dir", "must name a directory");
        }
        adminChecks(c.admin());
        RelayConfig.Smtp s = c.smtp();
        if (s.bind().isBlank()) {
            fail("smtp.bind", "must be an address to listen on, e.g. 127.0.0.1 or 0.0.0.0");
        }
        range("smtp.port", s.port(), 0, 65535);
        if (s.maxMessageSize().octets() < 1024 || s.maxMessageSize().octets() > Integer.MAX_VALUE) {
            fail("smtp.max-message-size", "must be between 1KiB and 2GiB");
        }
        range("smtp.max-recipients", s.maxRecipients(), 1, 100_000);
        range("smtp.max-connections", s.maxConnections(), 1, 100_000);
        range("smtp.max-connections-per-client", s.maxConnectionsPerClient(), 1, 100_000);
        range("smtp.max-received-headers", s.maxReceivedHeaders(), 1, 1000);
        positive("smtp.command-timeout", s.commandTimeout());
        positive("smtp.data-timeout", s.dataTimeout());
        for (int i = 0; i < s.clientNetworks().size(); i++) {
            try {
                Cidr.parse(s.clientNetworks().get(i));
            } catch (IllegalArgumentException e) {
                fail("smtp.client-networks[" + i + "]", e.getMessage());
            }
        }
        if (s.tls().configured()) {
            file("smtp.tls.certificate", s.tls().certificate());
            file("smtp.tls.private-key", s.tls().privateKey());
        }
        for (Map.Entry<String, String> u : s.auth().users().entrySet()) {
            try {
                PasswordHash.parse(u.getValue());
            } catch (IllegalArgumentException e) {
                fail("smtp.auth.users." + u.getKey(), e.getMessage());
            }
        }
        RelayConfig.Queue q = c.queue();
        positive("queue.lifetime", q.lifetime());
        positive("queue.first-retry", q.firstRetry());
        positive("queue.max-retry", q.maxRetry());
        positive("queue.lease", q.lease());
        positive("queue.poll-interval", q.pollInterval());
        if (q.maxRetry().compareTo(q.firstRetry()) < 0) {
            fail("queue.max-retry", "must not be shorter than queue.first-retry");
        }
        range("queue.workers", q.workers(), 1, 1000);
        RelayConfig.Dns dns = c.dns();
        positive("dns.timeout", dns.timeout());
        for (int i = 0; i < dns.servers().size(); i++) {
            try {
                HostPort.parse(dns.servers().get(i), 53);
            } catch (IllegalArgumentException e) {
                fail("dns.servers[" + i + "]", e.getMessage());
            }
        }
        RelayConfig.Delivery d = c.delivery();
        if (!d.heloName().isBlank()) {
            try {
                Domain.parse(d.heloName());
            } catch (IllegalArgumentException e) {
                fail("delivery.helo-name", e.getMessage());
            }
        }
        range("delivery.port", d.port(), 1, 65535);
        positive("delivery.connect-timeout", d.connectTimeout());
        range("delivery.max-hosts-per-attempt", d.maxHostsPerAttempt(), 1, 100);
        if (d.deadHostMemory().isNegative()) {
            fail("delivery.dead-host-memory", "must not be negative");
        }
        if (d.idleConnectionTime().isNegative()) {
            fail("delivery.idle-connection-time", "must not be negative");
        }
        range("delivery.max-idle-per-destination", d.maxIdlePerDestination(), 0, 1000);
        range("delivery.max-per-domain", d.maxPerDomain(), 1, 10_000);
        for (int i = 0; i < d.extraCaFiles().size(); i++) {
            file("delivery.extra-ca-files[" + i + "]", d.extraCaFiles().get(i));
        }
        for (int i = 0; i < d.routes().size(); i++) {
            try {
                Routes.toRoute(d.routes().get(i));
            } catch (IllegalArgumentException e) {
                fail("delivery.routes[" + i + "]", e.getMessage());
            }
        }
        RelayConfig.MtaSts sts = c.mtaSts();
        range("mta-sts.https-port", sts.httpsPort(), 1, 65535);
        positive("mta-sts.connect-timeout", sts.connectTimeout());
        positive("mta-sts.fetch-timeout", sts.fetchTimeout());
        positive("mta-sts.refresh-check", sts.refreshCheck());
        for (Map.Entry<String, String> o : sts.overrides().entrySet()) {
            try {
                StsWiring.override(o.getKey(), o.getValue());
            } catch (IllegalArgumentException e) {
                fail("mta-sts.overrides." + o.getKey(), e.getMessage());
            }
        }
        tlsrpt(c.tlsrpt());
        if (c.shutdownGrace().isNegative()) {
            fail("shutdown-grace", "must not be negative");
        }
    }

    /** RFC 8460: reports name who sends them and are DKIM-signed; all of it is needed to send. */
    private static void tlsrpt(RelayConfig.Tlsrpt t) throws ConfigException {
        if (t.window().compareTo(Duration.ofMinutes(1)) < 0 || t.window().compareTo(Duration.ofHours(23)) > 0) {
            fail("tlsrpt.window", "must be between 1m and 23h");
        }
        positive("tlsrpt.check-interval", t.checkInterval());
        positive("tlsrpt.connect-timeout", t.connectTimeout());
        positive("tlsrpt.post-timeout", t.postTimeout());
        if (!t.enabled()) {
            return;
        }
        if (t.organizationName().isBlank()) {
            fail("tlsrpt.organization-name", "must name your organization when tlsrpt.enabled is on");
        }
        Domain submitter = null;
        try {
            submitter = relay.core.mail.MailAddress.parse(t.contactInfo(), false).domain();
        } catch (IllegalArgumentException e) {
            fail("tlsrpt.contact-info", "must be a mail address when tlsrpt.enabled is on (" + e.getMessage() + ")");
        }
        Domain dkimDomain = null;
        try {
            dkimDomain = Domain.parse(t.dkim().domain());
        } catch (IllegalArgumentException e) {
            fail("tlsrpt.dkim.domain", "must be the signing domain when tlsrpt.enabled is on (" + e.getMessage() + ")");
        }
        relay.sts.report.mail.DkimKey key = null;
        try {
            key = relay.sts.report.mail.DkimKey.load(dkimDomain, t.dkim().selector(), Path.of(t.dkim().keyFile()));
        } catch (IllegalArgumentException e) {
            fail(t.dkim().selector().isBlank() ? "tlsrpt.dkim.selector" : "tlsrpt.dkim.key-file", e.getMessage());
        }
        if (!key.covers(submitter)) {
            // RFC 8460 §3 (RPT-41): the reporting domain signs its reports
            fail("tlsrpt.dkim.domain", "must be the domain of tlsrpt.contact-info (" + submitter + ") or a parent of it");
        }
    }

    /**
     * The admin server may listen beyond loopback only behind a token: it can delete mail.
     */
    private static void adminChecks(RelayConfig.Admin a) throws ConfigException {
        if (a.bind().isBlank()) {
            fail("admin.bind", "must be an address to listen on, e.g. 127.0.0.1");
        }
        range("admin.port", a.port(), 0, 65535);
        if (!a.enabled() || !a.token().isEmpty()) {
            return;
        }
        boolean loopback;
        try {
            loopback = java.net.InetAddress.getByName(a.bind()).isLoopbackAddress();
        } catch (java.net.UnknownHostException e) {
            fail("admin.bind", "cannot resolve " + a.bind());
            return;
        }
        if (!loopback) {
            fail("admin.token", "must be set when admin.bind is not a loopback address (it is " + a.bind() + ")");
        }
    }

    /** A key given with no value ({@code port:}) is an error, named like any other. */
    private static void noNulls(Object value, String path) throws ConfigException {
        if (value instanceof java.util.List<?> list) {
            for (int i = 0; i < list.size(); i++) {
                noNulls(list.get(i), path + "[" + i + "]");
            }
            return;
        }
        if (!(value instanceof Record)) {
            return;
        }
        for (java.lang.reflect.RecordComponent rc : value.getClass().getRecordComponents()) {
            String key = kebab(rc.getName());
            String full = path.isEmpty() ? key : path + "." + key;
            Object v;
            try {
                v = rc.getAccessor().invoke(value);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
            boolean optional = value instanceof RelayConfig.RouteEntry && OPTIONAL.contains(key);
            if (v == null && !optional) {
                fail(full, "needs a value");
            }
            noNulls(v, full);
        }
    }

    static String kebab(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(java.util.Locale.ROOT);
    }

    private static void file(String key, String path) throws ConfigException {
        if (path.isBlank()) {
            fail(key, "must be set when the other TLS file is");
        }
        if (!Files.isReadable(Path.of(path))) {
            fail(key, "cannot read " + path);
        }
    }

    private static void range(String key, long value, long min, long max) throws ConfigException {
        if (value < min || value > max) {
            fail(key, "must be between " + min + " and " + max + ", not " + value);
        }
    }

    private static void positive(String key, Duration d) throws ConfigException {
        if (d.isNegative() || d.isZero()) {
            fail(key, "must be longer than zero");
        }
    }

    private static void fail(String key, String why) throws ConfigException {
        throw new ConfigException("configuration key '" + key + "' (" + ConfigLoader.envName(key) + "): " + why);
    }
}
