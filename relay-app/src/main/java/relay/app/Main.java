package relay.app;

import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.io.PrintWriter;
import picocli.CommandLine;
import relay.app.cli.QueueCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import relay.core.smtp.PasswordHash;

/** The {@code relay} command. Errors are one sentence on stderr and a non-zero exit. */
@Command(name = "relay", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "An SMTP smart host that keeps every accepted message on disk and delivers it.",
        subcommands = {Main.Run.class, Main.VersionCommand.class, Main.HashPassword.class, QueueCommand.class,
                TlsRptCommand.class, StsCommand.class})
public final class Main implements Callable<Integer> {

    /** Exit code for a configuration or start-up error (sysexits.h EX_CONFIG). */
    static final int EX_CONFIG = 78;

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    static int execute(String... args) {
        return execute(new PrintWriter(System.out, true, StandardCharsets.UTF_8),
                new PrintWriter(System.err, true, StandardCharsets.UTF_8), args);
    }

    /** Runs one command writing to {@code out} and {@code err} (the queue commands; tests capture them). */
    static int execute(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("relay: " + e.getMessage());
            return e instanceof ConfigException ? EX_CONFIG : 1;
        });
        return cli.execute(args);
    }

    @Override
    public Integer call() {
        new CommandLine(this).usage(System.out);
        return 0;
    }

    @Command(name = "run", description = "Runs the relay in the foreground until SIGTERM or Ctrl-C.")
    static final class Run implements Callable<Integer> {
        @Option(names = {"-c", "--config"}, paramLabel = "FILE",
                description = "YAML file with the keys to change from the embedded defaults (conf/relay.yaml).")
        Path config;

        @Override
        public Integer call() throws Exception {
            RelayConfig cfg = new ConfigLoader(System.getenv()).load(Optional.ofNullable(config));
            Relay relay;
            try {
                relay = Relay.start(cfg, Optional.empty(), Clock.systemUTC());
            } catch (IOException e) {
                throw new ConfigException("cannot start: " + e.getMessage(), e);
            }
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                relay.close();
                stopped.countDown();
            }, "shutdown"));
            stopped.await();
            return 0;
        }
    }

    @Command(name = "version", description = "Prints the relay's version.")
    static final class VersionCommand implements Callable<Integer> {
        @Override
        public Integer call() {
            System.out.println("relay " + Version.current());
            return 0;
        }
    }

    @Command(name = "hash-password", description = "Reads a password (from the terminal, or one line of stdin)"
            + " and prints the hash to put under smtp.auth.users.")
    static final class HashPassword implements Callable<Integer> {
        @Override
        public Integer call() throws IOException {
            Console console = System.console();
            String password;
            if (console != null) {
                char[] p = console.readPassword("password: ");
                password = p == null ? "" : new String(p);
            } else {
                String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
                password = line == null ? "" : line;
            }
            if (password.isEmpty()) {
                throw new IllegalArgumentException("empty password");
            }
            System.out.println(PasswordHash.create(password, new SecureRandom()));
            return 0;
        }
    }

    /** The version from the jar manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        static String current() {
            String v = Main.class.getPackage().getImplementationVersion();
            return v == null ? "development" : v;
        }

        @Override
        public String[] getVersion() {
            return new String[] {"relay " + current()};
        }
    }
}
