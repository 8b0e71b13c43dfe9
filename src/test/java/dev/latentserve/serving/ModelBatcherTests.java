package dev.latentserve.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.latentserve.serving.ModelBatcher.Operation;
import dev.latentserve.serving.ServiceOverloadedException.Reason;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The batcher with plain Java operations: merging, splitting, bounds, timeouts, cancellation and draining. */
class ModelBatcherTests {

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final ScheduledThreadPoolExecutor timeouts = new ScheduledThreadPoolExecutor(1);
    private final List<List<Integer>> batches = Collections.synchronizedList(new ArrayList<>());
    private final CountDownLatch release = new CountDownLatch(1);
    private ModelBatcher batcher;

    @AfterEach
    void stop() throws InterruptedException {
        release.countDown();
        if (batcher != null) {
            batcher.close(Duration.ofSeconds(5));
        }
        timeouts.shutdownNow();
    }

    private ModelBatcher batcher(int maxBatchSize, Duration delay, int workers, int capacity, Duration timeout) {
        batcher = new ModelBatcher("m@1", "m", new ServingProperties.Batching(maxBatchSize, delay, workers, capacity, timeout),
                meters, timeouts);
        return batcher;
    }

    /** Each request is a number of rows n; the answer is n copies of the request's own value times ten. */
    private Operation<int[], int[]> tenfold() {
        return new Operation<>("op", requests -> {
            batches.add(requests.stream().map(r -> r.length).toList());
            return requests.stream().map(r -> java.util.Arrays.stream(r).map(v -> v * 10).toArray()).toList();
        });
    }

    /** Blocks the only worker until {@link #release} opens, so later requests queue up behind it. */
    private Operation<int[], int[]> blocking() {
        return new Operation<>("op", requests -> {
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return tenfold().run().apply(requests);
        });
    }

    /** Submits a one-row request that holds the only worker until {@link #release} opens, once a worker has it. */
    private CompletableFuture<int[]> startBlocked() throws InterruptedException {
        CompletableFuture<int[]> running = batcher.submit(blocking(), new int[] {0}, 1);
        waitUntil(() -> meters.find("latentserve.inference.queue.time").timer() != null);
        return running;
    }

    @Test
    void requestsQueuedTogetherRunAsOneBatchAndEachCallerGetsItsOwnRows() throws Exception {
        ModelBatcher batcher = batcher(8, Duration.ZERO, 1, 16, Duration.ofSeconds(10));
        CompletableFuture<int[]> first = startBlocked();
        List<CompletableFuture<int[]>> rest = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            rest.add(batcher.submit(tenfold(), new int[] {i, i}, 2));
        }
        release.countDown();
        assertThat(first.get(5, TimeUnit.SECONDS)).containsExactly(0);
        for (int i = 1; i <= 5; i++) {
            assertThat(rest.get(i - 1).get(5, TimeUnit.SECONDS)).containsExactly(i * 10, i * 10);
        }
        // Five requests of 2 rows behind the blocked one: at most 8 rows per batch, so 4 + 1 requests.
        assertThat(batches).containsExactly(List.of(1), List.of(2, 2, 2, 2), List.of(2));
        assertThat(meters.get("latentserve.inference.batch.size").summary().max()).isEqualTo(8);
        assertThat(meters.get("latentserve.inference.batch.requests").summary().max()).isEqualTo(4);
    }

    @Test
    void aRequestLargerThanTheBatchSizeRunsAlone() throws Exception {
        ModelBatcher batcher = batcher(4, Duration.ZERO, 1, 16, Duration.ofSeconds(10));
        assertThat(batcher.submit(tenfold(), new int[] {1, 2, 3, 4, 5, 6}, 6).get(5, TimeUnit.SECONDS)).hasSize(6);
        assertThat(batches).containsExactly(List.of(6));
    }

    @Test
    void theBatchDelayLetsLaterRequestsJoinTheOldest() throws Exception {
        ModelBatcher batcher = batcher(64, Duration.ofMillis(300), 1, 16, Duration.ofSeconds(10));
        List<CompletableFuture<int[]>> futures = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            futures.add(batcher.submit(tenfold(), new int[] {i}, 1));
            Thread.sleep(20);
        }
        for (CompletableFuture<int[]> future : futures) {
            future.get(5, TimeUnit.SECONDS);
        }
        assertThat(batches).containsExactly(List.of(1, 1, 1));
    }

    @Test
    void aFullQueueRefusesAtOnce() throws Exception {
        ModelBatcher batcher = batcher(1, Duration.ZERO, 1, 2, Duration.ofSeconds(10));
        CompletableFuture<int[]> running = startBlocked();
        batcher.submit(tenfold(), new int[] {1}, 1);
        batcher.submit(tenfold(), new int[] {2}, 1);
        assertThatThrownBy(() -> batcher.submit(tenfold(), new int[] {3}, 1))
                .isInstanceOfSatisfying(ServiceOverloadedException.class, e -> assertThat(e.reason()).isEqualTo(Reason.QUEUE_FULL));
        assertThat(rejected("overloaded")).isEqualTo(1);
        release.countDown();
        assertThat(running.get(5, TimeUnit.SECONDS)).containsExactly(0);
    }

    @Test
    void aTimedOutRequestGets503AndItsWorkNeverRuns() throws Exception {
        ModelBatcher batcher = batcher(1, Duration.ZERO, 1, 4, Duration.ofMillis(200));
        CompletableFuture<int[]> running = startBlocked();
        CompletableFuture<int[]> waiting = batcher.submit(tenfold(), new int[] {7, 7, 7}, 3);
        assertThatThrownBy(() -> waiting.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOfSatisfying(ServiceOverloadedException.class, e -> assertThat(e.reason()).isEqualTo(Reason.TIMEOUT));
        release.countDown();
        batcher.submit(tenfold(), new int[] {9}, 1).get(5, TimeUnit.SECONDS);
        assertThat(batches).as("the timed-out request (three rows) never ran").containsExactly(List.of(1), List.of(1));
        assertThat(running).as("the running request is answered at its timeout too").isCompletedExceptionally();
        assertThat(rejected("inference-timeout")).isEqualTo(2);
    }

    @Test
    void cancellingWithdrawsAQueuedRequest() throws Exception {
        ModelBatcher batcher = batcher(8, Duration.ZERO, 1, 4, Duration.ofSeconds(10));
        startBlocked();
        CompletableFuture<int[]> abandoned = batcher.submit(tenfold(), new int[] {1, 1, 1}, 3);
        CompletableFuture<int[]> kept = batcher.submit(tenfold(), new int[] {2}, 1);
        abandoned.cancel(false);
        release.countDown();
        assertThat(kept.get(5, TimeUnit.SECONDS)).containsExactly(20);
        assertThat(batches).containsExactly(List.of(1), List.of(1));
        assertThat(rejected("client-gone")).isEqualTo(1);
    }

    @Test
    void aFailingBatchIsRetriedOneByOneSoOnlyTheCulpritFails() throws Exception {
        ModelBatcher batcher = batcher(8, Duration.ZERO, 1, 8, Duration.ofSeconds(10));
        Operation<int[], int[]> failsOnNegative = new Operation<>("op", requests -> {
            if (requests.stream().anyMatch(r -> r[0] < 0)) {
                throw new IllegalStateException("negative");
            }
            return tenfold().run().apply(requests);
        });
        startBlocked();
        CompletableFuture<int[]> good = batcher.submit(failsOnNegative, new int[] {1}, 1);
        CompletableFuture<int[]> bad = batcher.submit(failsOnNegative, new int[] {-1}, 1);
        release.countDown();
        assertThat(good.get(5, TimeUnit.SECONDS)).containsExactly(10);
        assertThatThrownBy(() -> bad.get(5, TimeUnit.SECONDS)).cause().hasMessage("negative");
    }

    @Test
    void closingRunsWhatIsQueuedThenRefuses() throws Exception {
        ModelBatcher batcher = batcher(1, Duration.ZERO, 1, 8, Duration.ofSeconds(10));
        startBlocked();
        List<CompletableFuture<int[]>> queued = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            queued.add(batcher.submit(tenfold(), new int[] {i}, 1));
        }
        Thread closer = Thread.ofPlatform().start(() -> {
            try {
                batcher.close(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        waitUntil(() -> {
            try {
                batcher.submit(tenfold(), new int[] {99}, 1).cancel(false);
                return false;
            } catch (ServiceOverloadedException e) {
                return e.reason() == Reason.SHUTTING_DOWN;
            }
        });
        release.countDown();
        closer.join(5000);
        for (int i = 1; i <= 3; i++) {
            assertThat(queued.get(i - 1).get(1, TimeUnit.SECONDS)).containsExactly(i * 10);
        }
    }

    @Test
    void closingAnswers503ToWhatCannotRunBeforeTheDeadline() throws Exception {
        ModelBatcher batcher = batcher(1, Duration.ZERO, 1, 8, Duration.ofSeconds(10));
        startBlocked();
        CompletableFuture<int[]> queued = batcher.submit(tenfold(), new int[] {1}, 1);
        batcher.close(Duration.ofMillis(100));
        assertThatThrownBy(() -> queued.get(1, TimeUnit.SECONDS)).cause()
                .isInstanceOfSatisfying(ServiceOverloadedException.class, e -> assertThat(e.reason()).isEqualTo(Reason.SHUTTING_DOWN));
    }

    private double rejected(String reason) {
        var counter = meters.find("latentserve.inference.rejected").tag("reason", reason).counter();
        return counter == null ? 0 : counter.count();
    }

    private static void waitUntil(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("condition not met within 5 s");
            }
            Thread.sleep(5);
        }
    }
}
