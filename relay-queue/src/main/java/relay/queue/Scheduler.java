package relay.queue;

import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import relay.core.delivery.DeliveryAgent;
import relay.core.delivery.DeliveryRequest;
import relay.core.delivery.Outcome;
import relay.core.delivery.RecipientOutcome;

/**
 * Hands due work to the delivery agent. One dispatcher thread claims (message, domain) groups
 * as workers free up (H2 has no usable SKIP LOCKED with a limit, so a single claimer is the
 * simple, correct design); the workers run the agent and record its outcomes.
 */
public final class Scheduler implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger("relay.queue");

    private final QueueStore store;
    private final DeliveryAgent agent;
    private final WorkSignal signal;
    private final Duration pollInterval;
    private final String owner;
    private final int workers;
    private final Semaphore free;
    private final ExecutorService pool;
    private final Thread dispatcher;
    /** The (message, domain) groups with an attempt running in this scheduler. */
    private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
    private volatile boolean running;

    public Scheduler(QueueStore store, DeliveryAgent agent, WorkSignal signal, QueueSettings settings,
            Duration pollInterval, String owner) {
        this.store = store;
        this.agent = agent;
        this.signal = signal;
        this.pollInterval = pollInterval;
        this.owner = owner;
        this.workers = settings.workers();
        this.free = new Semaphore(workers);
        AtomicInteger n = new AtomicInteger();
        this.pool = Executors.newFixedThreadPool(workers, r -> {
            Thread t = new Thread(r, "delivery-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.dispatcher = new Thread(this::dispatch, "scheduler");
        this.dispatcher.setDaemon(true);
    }

    /** Releases the leases a previous run left behind, then starts dispatching. */
    public void start() throws SQLException {
        int released = store.releaseLeases(Optional.empty());
        if (released > 0) {
            LOG.info("released {} recipient lease(s) left by a previous run", released);
        }
        running = true;
        dispatcher.start();
    }

    private void dispatch() {
        while (running) {
            try {
                int available = free.availablePermits();
                List<Claim> claims = available == 0 ? List.of() : store.claimDue(available, owner);
                for (Claim claim : claims) {
                    // A lease that ran out while our own attempt for the group is still running
                    // (a slow server) is claimed again by us: the claim renews the lease, and the
                    // running attempt records the outcomes. Starting a second attempt would hand
                    // the same recipients to the agent twice at once, and deliver them twice.
                    String group = claim.id() + "/" + claim.domain();
                    if (!inFlight.add(group)) {
                        continue;
                    }
                    free.acquire();
                    pool.execute(() -> {
                        try {
                            attempt(claim);
                        } finally {
                            inFlight.remove(group);
                            free.release();
                            signal.wake();
                        }
                    });
                }
                if (claims.size() < available || available == 0) {
                    signal.await(pollInterval);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (SQLException | RuntimeException e) {
                LOG.error("claiming due mail failed: {}", e.toString());
                sleep(pollInterval);
            }
        }
    }

    private void attempt(Claim claim) {
        try {
            Optional<DeliveryRequest> request = store.load(claim);
            if (request.isEmpty()) {
                return;
            }
            List<RecipientOutcome> outcomes;
            try {
                outcomes = agent.deliver(request.get());
            } catch (RuntimeException e) {
                // a bug in the agent: defer everything rather than lose or bounce mail
                LOG.error("delivery agent failed for id={} domain={}", claim.id(), claim.domain(), e);
                outcomes = request.get().recipients().stream().map(r -> new RecipientOutcome(r,
                        new Outcome.Deferred("4.3.0", "internal error: " + e, Optional.empty()))).toList();
            }
            if (handedBack) {
                // past the shutdown grace: the lease is handed back and the next start delivers
                // again (at least once: a duplicate, never a loss)
                LOG.info("shutdown: the attempt for id={} domain={} ended after the grace; not recorded", claim.id(),
                        claim.domain());
                return;
            }
            store.apply(claim, outcomes);
        } catch (SQLException | RuntimeException e) {
            // the lease runs out and the recipients become due again
            LOG.error("recording the attempt for id={} domain={} failed: {}", claim.id(), claim.domain(), e.toString());
        }
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Stops claiming, lets running attempts finish within {@code grace}, then gives back the
     * leases of any still running so the next start picks them up at once.
     */
    /** Set once the grace is over: late attempts record nothing, their leases are given back. */
    private volatile boolean handedBack;

    public void stop(Duration grace) {
        running = false;
        signal.wake();
        pool.shutdown();
        try {
            dispatcher.join(grace.toMillis());
            if (!pool.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                handedBack = true;
                pool.shutdownNow();
                // interrupted attempts end quickly; one that ignores the interrupt records nothing
                pool.awaitTermination(2, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        handedBack = true;
        try {
            store.releaseLeases(Optional.of(owner));
        } catch (SQLException e) {
            LOG.warn("could not release leases at shutdown (they expire on their own): {}", e.toString());
        }
    }

    @Override
    public void close() {
        stop(Duration.ofSeconds(10));
    }
}
