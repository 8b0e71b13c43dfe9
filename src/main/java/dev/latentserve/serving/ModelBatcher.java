package dev.latentserve.serving;

import dev.latentserve.family.InvalidInferenceInputException;
import dev.latentserve.family.ModelUnloadedException;
import dev.latentserve.family.NoPriorException;
import dev.latentserve.family.SamplingCancelledException;
import dev.latentserve.serving.ServiceOverloadedException.Reason;
import dev.latentserve.serving.ServingProperties.Batching;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dynamic batching for one model version. Requests wait in a bounded queue per operation. A free worker takes the
 * operation whose oldest request has waited longest, lets more requests join until the batch holds
 * {@code maxBatchSize} rows or that request has waited {@code maxBatchDelay}, then runs them as one engine call and
 * hands each caller its own rows. A full queue refuses at once (503); a request past its timeout, or whose caller
 * went away, leaves the queue and its work is never run; a sampling loop whose callers all went while it ran ends
 * early ({@link SamplingCancelledException}, see {@link SampleWatch}) and frees the worker. Closing stops new requests, lets the queued ones run
 * within a deadline and answers the rest 503.
 */
final class ModelBatcher {

    private static final Logger log = LoggerFactory.getLogger(ModelBatcher.class);

    /** One operation of the model: runs the requests of a batch together, one result per request, in order. */
    record Operation<Q, R>(String name, Function<List<Q>, List<R>> run) {
    }

    private final String reference;
    private final String model;
    private final Batching settings;
    private final MeterRegistry meters;
    private final ScheduledExecutorService timeouts;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final Map<String, OperationQueue> queues = new LinkedHashMap<>();
    private final Set<String> collecting = new HashSet<>();
    private final List<Thread> workers = new ArrayList<>();
    private boolean closing;

    ModelBatcher(String reference, String model, Batching settings, MeterRegistry meters, ScheduledExecutorService timeouts) {
        this.reference = reference;
        this.model = model;
        this.settings = settings;
        this.meters = meters;
        this.timeouts = timeouts;
        for (int i = 1; i <= settings.workers(); i++) {
            workers.add(Thread.ofPlatform().name("latentserve-infer-" + reference + "-" + i).daemon().start(this::work));
        }
    }

    /**
     * Queues one request of {@code rows} rows. The future completes with its result, or exceptionally with the
     * operation's error or a {@link ServiceOverloadedException} (timeout); cancelling it withdraws the request.
     *
     * @throws ServiceOverloadedException at once when the queue is full or the batcher is closing
     */
    <Q, R> CompletableFuture<R> submit(Operation<Q, R> operation, Q request, int rows) {
        Pending<Q, R> pending = new Pending<>(operation, request, rows, System.nanoTime());
        lock.lock();
        try {
            if (closing) {
                throw rejected(operation.name(), Reason.SHUTTING_DOWN, "model " + reference
                        + " is being unloaded or the server is stopping; retry on another replica or shortly");
            }
            int waiting = waiting();
            if (waiting >= settings.queueCapacity()) {
                throw rejected(operation.name(), Reason.QUEUE_FULL, "model " + reference + " has " + waiting
                        + " requests waiting already; retry shortly");
            }
            queues.computeIfAbsent(operation.name(), OperationQueue::new).add(pending);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        ScheduledFuture<?> timer = timeouts.schedule(() -> timeOut(pending), settings.requestTimeout().toNanos(),
                TimeUnit.NANOSECONDS);
        pending.result.whenComplete((result, error) -> {
            timer.cancel(false);
            if (pending.result.isCancelled() && withdraw(pending)) {
                count(operation.name(), Reason.CLIENT_GONE);
            }
        });
        return pending.result;
    }

    /**
     * Whether a request for {@code operation} would find the queue full now; counts it as refused if so. A fast path
     * for turning requests away before their bodies are read; {@link #submit} still decides.
     */
    boolean refuseIfFull(String operation) {
        lock.lock();
        try {
            if (closing || waiting() < settings.queueCapacity()) {
                return false;
            }
        } finally {
            lock.unlock();
        }
        count(operation, Reason.QUEUE_FULL);
        return true;
    }

    private void timeOut(Pending<?, ?> pending) {
        ServiceOverloadedException timedOut = new ServiceOverloadedException(Reason.TIMEOUT, "the request did not finish within "
                + settings.requestTimeout() + " on model " + reference + "; its queued work was dropped", 1);
        if (pending.claim()) {
            withdraw(pending);
            count(pending.operation.name(), Reason.TIMEOUT);
            pending.result.completeExceptionally(timedOut);
        }
    }

    /** Takes a request out of its queue if it is still there. */
    private boolean withdraw(Pending<?, ?> pending) {
        lock.lock();
        try {
            OperationQueue queue = queues.get(pending.operation.name());
            return queue != null && queue.remove(pending);
        } finally {
            lock.unlock();
        }
    }

    private void work() {
        try {
            List<Pending<?, ?>> batch;
            while ((batch = nextBatch()) != null) {
                execute(batch);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Blocks until a batch is ready; null once the batcher is closing and nothing is left. */
    private @Nullable List<Pending<?, ?>> nextBatch() throws InterruptedException {
        lock.lock();
        try {
            while (true) {
                OperationQueue queue = oldestUnclaimed();
                if (queue == null) {
                    if (closing && waiting() == 0) {
                        return null;
                    }
                    changed.await();
                    continue;
                }
                collecting.add(queue.name);
                try {
                    long deadline = queue.oldestArrival() + settings.maxBatchDelay().toNanos();
                    long left;
                    while (!closing && !queue.isEmpty() && queue.rows < settings.maxBatchSize()
                            && (left = deadline - System.nanoTime()) > 0) {
                        changed.awaitNanos(left);
                    }
                } finally {
                    collecting.remove(queue.name);
                }
                List<Pending<?, ?>> batch = queue.take(settings.maxBatchSize());
                changed.signalAll();
                if (!batch.isEmpty()) {
                    return batch;
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private int waiting() {
        return queues.values().stream().mapToInt(queue -> queue.items.size()).sum();
    }

    /** The queue whose head has waited longest among those no other worker is filling. */
    private @Nullable OperationQueue oldestUnclaimed() {
        OperationQueue oldest = null;
        for (OperationQueue queue : queues.values()) {
            if (!queue.isEmpty() && !collecting.contains(queue.name)
                    && (oldest == null || queue.oldestArrival() < oldest.oldestArrival())) {
                oldest = queue;
            }
        }
        return oldest;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private void execute(List<Pending<?, ?>> batch) {
        execute((Operation) batch.getFirst().operation, (List) batch);
    }

    private <Q, R> void execute(Operation<Q, R> operation, List<Pending<Q, R>> batch) {
        long started = System.nanoTime();
        Timer queueTime = timer("latentserve.inference.queue.time", "time a request waited in its model's queue", operation.name());
        int rows = 0;
        for (Pending<Q, R> pending : batch) {
            queueTime.record(started - pending.enqueued, TimeUnit.NANOSECONDS);
            rows += pending.rows;
        }
        summary("latentserve.inference.batch.size", "rows (images, latents, samples) per engine call", operation.name())
                .record(rows);
        summary("latentserve.inference.batch.requests", "requests merged into one engine call", operation.name())
                .record(batch.size());
        List<R> results;
        try {
            results = operation.run().apply(batch.stream().map(Pending::request).toList());
        } catch (SamplingCancelledException e) {
            // Every caller of the batch went away or timed out, and has its answer already; the engine is free at once.
            engineTime(operation, started, "cancelled");
            batch.stream().filter(Pending::claim).forEach(pending -> pending.result.completeExceptionally(e));
            return;
        } catch (RuntimeException | Error e) {
            engineTime(operation, started, e instanceof InvalidInferenceInputException || e instanceof NoPriorException
                    ? "invalid" : "error");
            if (batch.size() == 1 || e instanceof ModelUnloadedException) {
                // Alone it failed for its own reason; an unloaded model fails every request the same way.
                batch.stream().filter(Pending::claim).forEach(pending -> pending.result.completeExceptionally(e));
            } else {
                // Requests are checked before they are queued, so this is rare; alone, each gets its own answer.
                log.warn("a batch of {} requests on {} {} failed; running them one by one", batch.size(), reference,
                        operation.name(), e);
                batch.forEach(pending -> execute(operation, List.of(pending)));
            }
            return;
        }
        // Recorded before the callers hear back, so a client that reads the metrics next sees its own request.
        engineTime(operation, started, "success");
        for (int i = 0; i < batch.size(); i++) {
            if (batch.get(i).claim()) {
                batch.get(i).result.complete(results.get(i));
            }
        }
    }

    private void engineTime(Operation<?, ?> operation, long started, String outcome) {
        Timer.builder("latentserve.inference.engine.time")
                .description("time of one batch in the engine")
                .tags("model", model, "version", version(), "operation", operation.name(), "outcome", outcome)
                .publishPercentileHistogram()
                .register(meters)
                .record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
    }

    /**
     * Refuses new requests, lets the queued ones run until {@code deadline}, then answers the rest 503 and stops
     * the workers.
     */
    void close(Duration deadline) throws InterruptedException {
        lock.lock();
        try {
            closing = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        long end = System.nanoTime() + deadline.toNanos();
        for (Thread worker : workers) {
            worker.join(Duration.ofNanos(Math.max(1, end - System.nanoTime())));
        }
        List<Pending<?, ?>> abandoned = new ArrayList<>();
        lock.lock();
        try {
            queues.values().forEach(queue -> abandoned.addAll(queue.take(Integer.MAX_VALUE)));
        } finally {
            lock.unlock();
        }
        for (Pending<?, ?> pending : abandoned) {
            if (pending.claim()) {
                pending.result.completeExceptionally(rejected(pending.operation.name(), Reason.SHUTTING_DOWN,
                        "model " + reference + " stopped before this request could run; retry"));
            }
        }
        workers.forEach(Thread::interrupt);
    }

    private ServiceOverloadedException rejected(String operation, Reason reason, String message) {
        count(operation, reason);
        return new ServiceOverloadedException(reason, message, 1);
    }

    private void count(String operation, Reason reason) {
        Counter.builder("latentserve.inference.rejected")
                .description("inference requests turned away or dropped, by reason")
                .tags("model", model, "operation", operation, "reason", reason.type())
                .register(meters)
                .increment();
    }

    private Timer timer(String name, String description, String operation) {
        return Timer.builder(name).description(description).tags("model", model, "operation", operation)
                .publishPercentileHistogram().register(meters);
    }

    private DistributionSummary summary(String name, String description, String operation) {
        return DistributionSummary.builder(name).description(description).tags("model", model, "operation", operation)
                .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64, 128, 256).register(meters);
    }

    private String version() {
        return reference.substring(reference.lastIndexOf('@') + 1);
    }

    private static final class Pending<Q, R> {

        final Operation<Q, R> operation;
        final Q request;
        final int rows;
        final long enqueued;
        final CompletableFuture<R> result = new CompletableFuture<>();
        /** Set by whoever answers the request (the worker, its timeout, or closing), which counts before it answers. */
        final AtomicBoolean settled = new AtomicBoolean();

        Pending(Operation<Q, R> operation, Q request, int rows, long enqueued) {
            this.operation = operation;
            this.request = request;
            this.rows = rows;
            this.enqueued = enqueued;
        }

        Q request() {
            return request;
        }

        /**
         * True for the one caller that gets to answer this request. Its worker and its timeout may race; whoever
         * wins records its metrics before completing, so a caller who hears back already sees them.
         */
        boolean claim() {
            return settled.compareAndSet(false, true);
        }
    }

    /** The waiting requests of one operation, oldest first; guarded by the batcher's lock except for the gauge. */
    private final class OperationQueue {

        final String name;
        final ArrayDeque<Pending<?, ?>> items = new ArrayDeque<>();
        final AtomicInteger depth = new AtomicInteger();
        int rows;

        OperationQueue(String name) {
            this.name = name;
            Gauge.builder("latentserve.inference.queue.depth", depth, AtomicInteger::get)
                    .description("requests waiting in a model's queue")
                    .tags("model", model, "version", version(), "operation", name)
                    .register(meters);
        }

        void add(Pending<?, ?> pending) {
            items.addLast(pending);
            rows += pending.rows;
            depth.set(items.size());
        }

        boolean remove(Pending<?, ?> pending) {
            boolean removed = items.remove(pending);
            if (removed) {
                rows -= pending.rows;
                depth.set(items.size());
            }
            return removed;
        }

        boolean isEmpty() {
            return items.isEmpty();
        }

        long oldestArrival() {
            return items.getFirst().enqueued;
        }

        /** Up to {@code maxRows} rows of requests from the head; the first is taken whatever its size. */
        List<Pending<?, ?>> take(int maxRows) {
            List<Pending<?, ?>> batch = new ArrayList<>();
            int taken = 0;
            while (!items.isEmpty() && (batch.isEmpty() || taken + items.getFirst().rows <= maxRows)) {
                Pending<?, ?> pending = items.removeFirst();
                rows -= pending.rows;
                if (!pending.settled.get() && !pending.result.isDone()) {
                    batch.add(pending);
                    taken += pending.rows;
                }
            }
            depth.set(items.size());
            return batch;
        }
    }
}
