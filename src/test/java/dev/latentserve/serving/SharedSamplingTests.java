package dev.latentserve.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;

import dev.latentserve.family.LatentSpec;
import dev.latentserve.family.LoadedModel;
import dev.latentserve.family.LoadedModel.SampleOptions;
import dev.latentserve.family.RasterSampling;
import dev.latentserve.serving.ModelBatcher.Operation;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Sampling requests of different callers in one model's batcher: they share one raster loop (one prior pass per
 * position for all of them), and a caller that goes away or times out leaves the loop at the next position while the
 * others draw on, their codes unchanged.
 */
class SharedSamplingTests {

    private static final int HEIGHT = 4;
    private static final int WIDTH = 4;
    private static final int CELLS = HEIGHT * WIDTH;
    private static final int CODES = 5;
    private static final LatentSpec LATENT = new LatentSpec.CodeGrid(CODES, 2, List.of(HEIGHT, WIDTH), "pixelcnn");

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final ScheduledThreadPoolExecutor timeouts = new ScheduledThreadPoolExecutor(1);
    private final AtomicInteger passes = new AtomicInteger();
    private ModelBatcher batcher;

    @AfterEach
    void stop() throws InterruptedException {
        batcher.close(Duration.ofSeconds(5));
        timeouts.shutdownNow();
    }

    private ModelBatcher batcher(Duration delay, Duration timeout) {
        batcher = new ModelBatcher("m@1", "m", new ServingProperties.Batching(256, delay, 1, 16, timeout), meters, timeouts);
        return batcher;
    }

    /** A causal stand-in for a prior, {@code millis} per pass: each sample's logits depend on its own codes so far. */
    private RasterSampling.Logits prior(long millis) {
        return (maps, row, column) -> {
            passes.incrementAndGet();
            sleep(millis);
            int n = maps.length / CELLS;
            float[] values = new float[n * CODES];
            for (int s = 0; s < n; s++) {
                long sum = 0;
                for (int cell = 0; cell < row * WIDTH + column; cell++) {
                    sum += (cell + 1) * maps[s * CELLS + cell];
                }
                for (int k = 0; k < CODES; k++) {
                    values[s * CODES + k] = (float) Math.cos(k * 0.9 + sum * 0.37 + column);
                }
            }
            return values;
        };
    }

    /** The sample operation as a model runs it: one raster loop over every request's samples, split back per request. */
    private Operation<SampleOptions, long[]> sampling(long millis) {
        return new Operation<>("sample", requests -> {
            long[] maps = RasterSampling.draw(requests, "codes", RasterSampling.generators(requests), HEIGHT, WIDTH, CODES,
                    prior(millis));
            List<long[]> split = new ArrayList<>();
            int at = 0;
            for (SampleOptions options : requests) {
                split.add(Arrays.copyOfRange(maps, at, at + options.count() * CELLS));
                at += options.count() * CELLS;
            }
            return split;
        });
    }

    /** Submits as InferenceService does: the request carries a watch that its future's end cancels. */
    private CompletableFuture<long[]> submit(Operation<SampleOptions, long[]> operation, SampleOptions options) {
        SampleWatch watch = new SampleWatch("m", mock(LoadedModel.class), LATENT, options.count(), meters, null);
        CompletableFuture<long[]> queued = batcher.submit(operation, options.watchedBy(watch), options.count());
        queued.whenComplete((codes, error) -> watch.ended(error));
        return queued;
    }

    private long[] alone(SampleOptions options) {
        List<SampleOptions> one = List.of(options);
        return RasterSampling.draw(one, "codes", RasterSampling.generators(one), HEIGHT, WIDTH, CODES, prior(0));
    }

    @Test
    void concurrentCallersShareOnePriorPassPerPosition() throws Exception {
        batcher(Duration.ofMillis(300), Duration.ofSeconds(10));
        SampleOptions first = new SampleOptions(2, 1, 1.0, null);
        SampleOptions second = new SampleOptions(3, 2, 0.8, 3);

        CompletableFuture<long[]> a = CompletableFuture.supplyAsync(() -> submit(sampling(0), first)).thenCompose(f -> f);
        CompletableFuture<long[]> b = CompletableFuture.supplyAsync(() -> submit(sampling(0), second)).thenCompose(f -> f);

        long[] codesA = a.get(10, TimeUnit.SECONDS);
        long[] codesB = b.get(10, TimeUnit.SECONDS);
        assertThat(passes.get()).as("one loop of %d positions for both callers", CELLS).isEqualTo(CELLS);
        assertThat(meters.get("latentserve.inference.batch.requests").summary().max()).isEqualTo(2);
        passes.set(0);
        assertThat(codesA).containsExactly(alone(first));
        assertThat(codesB).containsExactly(alone(second));
    }

    @Test
    void aCallerThatGoesAwayLeavesTheLoopAndTheOthersCodesStayTheSame() throws Exception {
        batcher(Duration.ofMillis(300), Duration.ofSeconds(10));
        SampleOptions staying = new SampleOptions(2, 5, 1.0, null);
        SampleOptions leaving = new SampleOptions(4, 6, 1.0, null);
        CompletableFuture<long[]> stays = submit(sampling(20), staying);
        CompletableFuture<long[]> leaves = submit(sampling(20), leaving);
        waitUntil(() -> passes.get() >= 3);

        leaves.cancel(false);

        assertThat(stays.get(10, TimeUnit.SECONDS)).containsExactly(alone(staying));
        assertThat(meters.get("latentserve.sampling.cancelled").tag("reason", "client-gone").counter().count()).isEqualTo(4);
    }

    @Test
    void whenEveryCallerIsGoneTheEngineIsFreeWithinOnePosition() throws Exception {
        batcher(Duration.ZERO, Duration.ofSeconds(10));
        // Positions long beside scheduling noise on a loaded machine: the loop ending at the next position (under 2 x
        // millis) and running on (CELLS x millis) stay far apart.
        long millis = 200;
        CompletableFuture<long[]> gone = submit(sampling(millis), new SampleOptions(1, 1, 1.0, null));
        waitUntil(() -> passes.get() >= 2);

        long cancelled = System.nanoTime();
        gone.cancel(false);
        long[] next = submit(sampling(0), new SampleOptions(1, 2, 1.0, null)).get(10, TimeUnit.SECONDS);
        long freeMillis = (System.nanoTime() - cancelled) / 1_000_000;

        assertThat(next).hasSize(CELLS);
        // The pass under way finishes (at most one position's time); no further pass of the cancelled loop runs.
        assertThat(freeMillis).isLessThan(2 * millis);
        assertThat(passes.get()).isLessThanOrEqualTo(3 + CELLS);
        assertThat(meters.get("latentserve.inference.engine.time").tag("outcome", "cancelled").timer().count()).isEqualTo(1);
        assertThat(meters.get("latentserve.sampling.cancelled").counter().count()).isEqualTo(1);
    }

    @Test
    void aRequestPastItsTimeoutStopsItsLoopAtTheNextPosition() throws Exception {
        long millis = 30;
        batcher(Duration.ZERO, Duration.ofMillis(200));
        CompletableFuture<long[]> late = submit(sampling(millis), new SampleOptions(1, 1, 1.0, null));

        assertThat(late).failsWithin(Duration.ofSeconds(5)).withThrowableThat().havingRootCause()
                .isInstanceOf(ServiceOverloadedException.class);
        long timedOut = System.nanoTime();
        waitUntil(() -> meters.find("latentserve.inference.engine.time").tag("outcome", "cancelled").timer() != null);
        assertThat((System.nanoTime() - timedOut) / 1_000_000).isLessThan(millis + 40);
        assertThat(passes.get()).isLessThan(CELLS);
        assertThat(meters.get("latentserve.sampling.cancelled").tag("reason", "inference-timeout").counter().count()).isEqualTo(1);
    }

    private static void waitUntil(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waited 10 s").isLessThan(deadline);
            Thread.sleep(1);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
