package relay.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import relay.app.cli.StsCacheCommand;
import relay.core.dns.Dns;
import relay.core.dns.MxResolver;
import relay.core.mail.Domain;
import relay.core.outbound.SmtpTimeouts;
import relay.core.tls.CertificateVerifier;
import relay.sts.check.CheckReport;
import relay.sts.check.MxProbe;
import relay.sts.check.StsCheck;
import relay.sts.fetch.FetchSettings;
import relay.sts.fetch.PolicyFetcher;
import relay.sts.record.StsDiscovery;

/** {@code relay sts check DOMAIN} and {@code relay sts cache ...}: MTA-STS for operators. */
@Command(name = "sts", description = "Checks a domain's MTA-STS live, or shows and purges the relay's policy cache.",
        exitCodeOnInvalidInput = StsCommand.EX_USAGE, mixinStandardHelpOptions = true,
        subcommands = {StsCommand.Check.class, StsCacheCommand.class})
final class StsCommand implements Callable<Integer> {

    /** sysexits.h EX_USAGE. */
    static final int EX_USAGE = 64;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 0;
    }

    /**
     * The whole RFC 8461 discovery, live: no cache, the relay's resolver, ports and CA files.
     * Exit codes: 0 policy valid and every MX passes, or no policy (mode none included; the
     * report says so); 1 policy in enforce or testing and some MX unlisted or failing (or no MX);
     * 2 an STS record but no policy can be fetched or parsed; 3 DNS failure; 64 usage; 78 configuration.
     */
    @Command(name = "check", exitCodeOnInvalidInput = EX_USAGE, mixinStandardHelpOptions = true,
            description = {"Does the whole MTA-STS discovery of DOMAIN live, without the cache: TXT, policy fetch and"
                + " parse, MX lookup and match, a STARTTLS probe of each MX with the certificate check; prints"
                + " what a sender would do.",
                "Exit codes: 0 policy valid and every MX passes, or no policy (or mode none); 1 some MX fails the"
                + " policy; 2 policy record but the policy cannot be fetched or parsed; 3 DNS failure; 64 usage."})
    static final class Check implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "DOMAIN", description = "The recipient domain, e.g. example.com.")
        String domain;

        @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "The relay's configuration (dns.servers,"
                + " delivery.port, delivery.extra-ca-files, mta-sts.https-port and timeouts).")
        Path config;

        @Option(names = "--json", description = "Print the report as JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            Domain d = parse(domain);
            RelayConfig cfg = new ConfigLoader(System.getenv()).load(Optional.ofNullable(config));
            CheckReport report = run(cfg, d);
            PrintWriter out = spec.commandLine().getOut();
            out.print(json ? new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(report) + "\n"
                    : StsCheckText.of(report));
            out.flush();
            return exitCode(report.outcome());
        }

        private Domain parse(String text) {
            try {
                Domain d = Domain.parse(text);
                if (!d.isAddressLiteral()) {
                    return d;
                }
            } catch (IllegalArgumentException e) {
                // the sentence below
            }
            throw new CommandLine.ParameterException(spec.commandLine(), "'" + text + "' is not a domain name");
        }

        static int exitCode(CheckReport.Outcome outcome) {
            return switch (outcome) {
                case VALID, NO_POLICY -> 0;
                case MX_FAILS -> 1;
                case POLICY_UNAVAILABLE -> 2;
                case DNS_FAILURE -> 3;
            };
        }

        private static CheckReport run(RelayConfig cfg, Domain domain) throws IOException {
            Clock clock = Clock.systemUTC();
            // a resolver of its own: nothing cached, so every answer is live
            Dns dns = new Dns(Relay.dnsSettings(cfg));
            CertificateVerifier verifier = Relay.verifier(cfg, clock);
            RelayConfig.MtaSts sts = cfg.mtaSts();
            RelayConfig.Delivery delivery = cfg.delivery();
            EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
            try {
                PolicyFetcher fetcher = new PolicyFetcher(dns, verifier, group, new FetchSettings(sts.httpsPort(),
                        sts.connectTimeout(), sts.fetchTimeout(), FetchSettings.RFC_MAX_BYTES));
                Duration wait = Duration.ofSeconds(30); // a person is waiting: not RFC 5321's five minutes
                SmtpTimeouts timeouts = new SmtpTimeouts(delivery.connectTimeout(), wait, wait, wait, wait, wait);
                MxProbe probe = new MxProbe(dns, verifier, group, timeouts, delivery.port(), heloName(cfg));
                return new StsCheck(new StsDiscovery(dns), fetcher::fetch,
                        new MxResolver(dns, new Random(new SecureRandom().nextLong())), probe).check(domain);
            } finally {
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3000);
            }
        }

        private static String heloName(RelayConfig cfg) {
            if (!cfg.delivery().heloName().isBlank()) {
                return cfg.delivery().heloName();
            }
            if (!cfg.hostname().isBlank()) {
                return cfg.hostname();
            }
            try {
                return InetAddress.getLocalHost().getHostName();
            } catch (IOException e) {
                return "localhost";
            }
        }
    }
}
