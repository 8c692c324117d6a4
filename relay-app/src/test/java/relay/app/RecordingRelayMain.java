package relay.app;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import relay.core.delivery.DeliveryAgent;
import relay.core.delivery.Outcome;
import relay.core.delivery.RecipientOutcome;

/**
 * The relay as a child JVM for crash tests: the real jar's wiring with a delivery agent that
 * appends {@code <queue id> <recipient>} to a file for every recipient it "delivers".
 * Arguments: config file, delivery log, milliseconds each delivery takes.
 */
public final class RecordingRelayMain {

    private RecordingRelayMain() {
    }

    public static void main(String[] args) throws Exception {
        RelayConfig config = new ConfigLoader(Map.of()).load(Optional.of(Path.of(args[0])));
        FileChannel log = FileChannel.open(Path.of(args[1]), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND);
        long delay = Long.parseLong(args[2]);
        DeliveryAgent agent = request -> {
            sleep(delay);
            StringBuilder lines = new StringBuilder();
            request.recipients().forEach(r -> lines.append(request.id()).append(' ').append(r).append('\n'));
            write(log, lines.toString());
            List<RecipientOutcome> out = request.recipients().stream()
                    .map(r -> new RecipientOutcome(r, new Outcome.Delivered("2.0.0", "250 ok", Optional.of("recorder"))))
                    .toList();
            return out;
        };
        Relay relay = Relay.start(config, Optional.of(agent), Clock.systemUTC());
        Runtime.getRuntime().addShutdownHook(new Thread(relay::close));
        Thread.currentThread().join();
    }

    private static synchronized void write(FileChannel log, String text) {
        try {
            log.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII)));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
