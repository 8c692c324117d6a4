package relay.queue;

import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import relay.core.delivery.DeliveryAgent;
import relay.core.delivery.DeliveryRequest;
import relay.core.delivery.Outcome;
import relay.core.delivery.RecipientOutcome;

/**
 * Hands work to the delivery agent. Fresh mail comes from the spool's {@link Handoff}, already
 * leased and in memory; everything else (retries, mail queued while the scheduler was full,
 * leases left by a dead run) is claimed from the spool by one dispatcher thread, which polls
 * every {@code pollInterval}, when woken, and again at once while a poll finds a full batch (H2
 * has no usable SKIP LOCKED with a limit, so a single claimer is the simple, correct design).
 * When both kinds wait, the workers take them in turn, so neither starves the other. The
 * workers run the agent and record its outcomes.
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
    /** The (message, domain) groups claimed or handed off to this scheduler and not yet recorded. */
    private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
    /** Fresh attempts handed off and not started. */
    private final Queue<FreshAttempt> fresh = new ConcurrentLinkedQueue<>();
    /** Claimed groups not started; the dispatcher's alone. */
    private final ArrayDeque<Claim> due = new ArrayDeque<>();
    /**
     * Handed-off messages not yet finished with, like Postfix's active queue
     * ({@code qmgr_message_active_limit}); beyond it fresh mail waits in the spool for a poll.
     */
    static final int MAX_SLOTS = 5_000;
    /** Octets of handed-off messages kept in memory, at most; beyond it they are read from the spool. */
    static final long MAX_KEPT_OCTETS = 32L * 1024 * 1024;
    private final int maxSlots;
    private final AtomicInteger slots = new AtomicInteger();
    private final AtomicLong keptOctets = new AtomicLong();
    private volatile boolean running;

    public Scheduler(QueueStore store, DeliveryAgent agent, WorkSignal signal, QueueSettings settings,
            Duration pollInterval, String owner) {
        this(store, agent, signal, settings, pollInterval, owner, MAX_SLOTS);
    }

    /** @param maxSlots handed-off messages held at most (tests use a few) */
    Scheduler(QueueStore store, DeliveryAgent agent, WorkSignal signal, QueueSettings settings,
            Duration pollInterval, String owner, int maxSlots) {
        this.maxSlots = maxSlots;
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

    /** Where the spool hands fresh mail to this scheduler. */
    public Handoff handoff() {
        return this::reserve;
    }

    private Optional<Handoff.Slot> reserve() {
        while (true) {
            int taken = slots.get();
            if (!running || taken >= maxSlots) {
                return Optional.empty();
            }
            if (slots.compareAndSet(taken, taken + 1)) {
                return Optional.of(new Handoff.Slot(owner, this::keep, this::submit, this::release));
            }
        }
    }

    private boolean keep(int octets) {
        while (true) {
            long kept = keptOctets.get();
            if (kept + octets > MAX_KEPT_OCTETS) {
                return false;
            }
            if (keptOctets.compareAndSet(kept, kept + octets)) {
                return true;
            }
        }
    }

    private void release(int octets) {
        keptOctets.addAndGet(-octets);
        slots.decrementAndGet();
    }

    /** Queues a message's attempts; its slot is given back when the last of them is over. */
    private void submit(List<FreshAttempt> attempts, int kept) {
        AtomicInteger left = new AtomicInteger(attempts.size());
        for (FreshAttempt a : attempts) {
            inFlight.add(group(a.claim()));
            fresh.add(a.whenDone(() -> {
                if (left.decrementAndGet() == 0) {
                    release(kept);
                }
            }));
        }
        signal.nudge();
    }

    private static String group(Claim claim) {
        return claim.id() + "/" + claim.domain();
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
        boolean pollWanted = true;
        long lastPoll = System.nanoTime();
        boolean freshTurn = true;
        while (running) {
            try {
                if (due.isEmpty() && (pollWanted || System.nanoTime() - lastPoll >= pollInterval.toNanos())) {
                    pollWanted = false;
                    lastPoll = System.nanoTime();
                    List<Claim> claims = store.claimDue(workers, owner);
                    for (Claim claim : claims) {
                        // A lease that ran out while our own attempt for the group is still running
                        // or waiting (a slow server) is claimed again by us: the claim renews the
                        // lease, and that attempt records the outcomes. Starting a second attempt
                        // would hand the same recipients to the agent twice at once.
                        if (inFlight.add(group(claim))) {
                            due.add(claim);
                        }
                    }
                    // a full batch: more may be due, so claim again once these are started
                    pollWanted = claims.size() == workers;
                }
                while (free.tryAcquire()) {
                    FreshAttempt f = null;
                    Claim c = null;
                    if (freshTurn) {
                        f = fresh.poll();
                        c = f == null ? due.poll() : null;
                    } else {
                        c = due.poll();
                        f = c == null ? fresh.poll() : null;
                    }
                    freshTurn = !freshTurn;
                    if (f == null && c == null) {
                        free.release();
                        break;
                    }
                    start(f, c);
                }
                if (pollWanted && due.isEmpty() && free.availablePermits() > 0) {
                    continue;
                }
                long untilPoll = pollInterval.toNanos() - (System.nanoTime() - lastPoll);
                if (signal.await(Duration.ofNanos(Math.max(untilPoll, 1_000_000)))) {
                    pollWanted = true;
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

    /** Runs one attempt (a fresh one or a claimed one) on a worker that holds a permit. */
    private void start(FreshAttempt f, Claim c) {
        Claim claim = f != null ? f.claim() : c;
        try {
            pool.execute(() -> {
                try {
                    if (f != null) {
                        attemptFresh(f);
                    } else {
                        attempt(claim);
                    }
                } finally {
                    finished(f, claim);
                }
            });
        } catch (RejectedExecutionException e) {
            // stopping: the lease is handed back with the others
            finished(f, claim);
        }
    }

    private void finished(FreshAttempt f, Claim claim) {
        inFlight.remove(group(claim));
        if (f != null) {
            f.done().run();
        }
        free.release();
        signal.nudge();
    }

    private void attemptFresh(FreshAttempt f) {
        Claim claim = f.claim();
        try {
            List<RecipientOutcome> outcomes = deliver(f.request());
            if (!handedBack(claim)) {
                store.applyFresh(f, outcomes);
            }
        } catch (SQLException | RuntimeException e) {
            LOG.error("recording the attempt for id={} domain={} failed: {}", claim.id(), claim.domain(), e.toString());
        }
    }

    private void attempt(Claim claim) {
        try {
            Optional<DeliveryRequest> request = store.load(claim);
            if (request.isEmpty()) {
                return;
            }
            List<RecipientOutcome> outcomes = deliver(request.get());
            if (!handedBack(claim)) {
                store.apply(claim, outcomes);
            }
        } catch (SQLException | RuntimeException e) {
            // the lease runs out and the recipients become due again
            LOG.error("recording the attempt for id={} domain={} failed: {}", claim.id(), claim.domain(), e.toString());
        }
    }

    /** The agent's outcomes; a bug in the agent defers everything rather than lose or bounce mail. */
    private List<RecipientOutcome> deliver(DeliveryRequest request) {
        try {
            return agent.deliver(request);
        } catch (RuntimeException e) {
            LOG.error("delivery agent failed for id={} domain={}", request.id(), request.domain(), e);
            return request.recipients().stream().map(r -> new RecipientOutcome(r,
                    new Outcome.Deferred("4.3.0", "internal error: " + e, Optional.empty()))).toList();
        }
    }

    /**
     * Past the shutdown grace the lease is handed back and the next start delivers again (at
     * least once: a duplicate, never a loss), so a late attempt records nothing.
     */
    private boolean handedBack(Claim claim) {
        if (handedBack) {
            LOG.info("shutdown: the attempt for id={} domain={} ended after the grace; not recorded", claim.id(),
                    claim.domain());
        }
        return handedBack;
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Set once the grace is over: late attempts record nothing, their leases are given back. */
    private volatile boolean handedBack;

    /**
     * Stops claiming, lets running attempts finish within {@code grace}, then gives back the
     * leases of any still running or waiting, so the next start picks them up at once.
     */
    public void stop(Duration grace) {
        running = false;
        signal.nudge();
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
