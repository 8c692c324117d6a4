package relay.queue;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import relay.core.delivery.DeliveryAgent;
import relay.core.delivery.DeliveryRequest;
import relay.core.delivery.Outcome;
import relay.core.delivery.RecipientOutcome;

/**
 * A {@link DeliveryAgent} that answers from a script, remembers every request (with the body it
 * read), notices two calls running at once for the same recipient, and can be held mid-call like
 * an agent stuck on a slow server (ignoring interrupts, as blocking socket I/O does).
 */
final class ScriptedAgent implements DeliveryAgent {

    /** One call: the request and the body as the agent read it during the call. */
    record Call(DeliveryRequest request, byte[] body, List<RecipientOutcome> outcomes) {

        List<String> recipients() {
            return request.recipients().stream().map(Object::toString).toList();
        }
    }

    private final Function<DeliveryRequest, List<RecipientOutcome>> script;
    private final List<Call> calls = new CopyOnWriteArrayList<>();
    private final Map<String, AtomicInteger> running = new ConcurrentHashMap<>();
    private final List<String> overlaps = new CopyOnWriteArrayList<>();
    private final AtomicInteger inside = new AtomicInteger();
    private final AtomicInteger held = new AtomicInteger();
    private volatile CountDownLatch gate;

    ScriptedAgent(Function<DeliveryRequest, List<RecipientOutcome>> script) {
        this.script = script;
    }

    /** The same outcome for every recipient of every call. */
    static ScriptedAgent always(Outcome o) {
        return new ScriptedAgent(r -> each(r, o));
    }

    static List<RecipientOutcome> each(DeliveryRequest r, Outcome o) {
        return r.recipients().stream().map(a -> new RecipientOutcome(a, o)).toList();
    }

    /** From now on calls wait inside the agent until {@link #release}. */
    void hold() {
        gate = new CountDownLatch(1);
    }

    void release() {
        CountDownLatch g = gate;
        gate = null;
        if (g != null) {
            g.countDown();
        }
    }

    @Override
    public List<RecipientOutcome> deliver(DeliveryRequest request) {
        inside.incrementAndGet();
        for (var r : request.recipients()) {
            if (running.computeIfAbsent(r.toString(), k -> new AtomicInteger()).incrementAndGet() > 1) {
                overlaps.add(r + " (attempt " + request.attempt() + ")");
            }
        }
        try {
            byte[] body;
            try (InputStream in = request.message().open()) {
                body = in.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            CountDownLatch g = gate;
            if (g != null) {
                held.incrementAndGet();
                awaitUninterruptibly(g);
                held.decrementAndGet();
            }
            List<RecipientOutcome> outcomes;
            try {
                outcomes = script.apply(request);
            } catch (RuntimeException e) {
                calls.add(new Call(request, body, List.of()));
                throw e;
            }
            calls.add(new Call(request, body, outcomes));
            return outcomes;
        } finally {
            for (var r : request.recipients()) {
                running.get(r.toString()).decrementAndGet();
            }
            inside.decrementAndGet();
        }
    }

    private static void awaitUninterruptibly(CountDownLatch g) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    if (!g.await(30, TimeUnit.SECONDS)) {
                        throw new IllegalStateException("the test never released the agent");
                    }
                    return;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Finished calls, in the order they finished. */
    List<Call> calls() {
        return new ArrayList<>(calls);
    }

    List<Call> callsFor(String domain) {
        return calls().stream().filter(c -> c.request().domain().name().equals(domain)).toList();
    }

    /** Recipients that were in two calls at the same time. */
    List<String> overlaps() {
        return new ArrayList<>(overlaps);
    }

    /** Calls waiting at the gate. */
    int held() {
        return held.get();
    }

    /** Calls in progress. */
    int inside() {
        return inside.get();
    }
}
