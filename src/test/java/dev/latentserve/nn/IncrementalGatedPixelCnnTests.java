package dev.latentserve.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.latentserve.family.LoadedModel.SampleOptions;
import dev.latentserve.family.RasterSampling;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Incremental generation against the full pass, teacher-forced: at every position the cached step's logits must be
 * those of one full masked pass over the whole map (including row 0, column 0 and the first attention step).
 */
class IncrementalGatedPixelCnnTests {

    private static final int CODES = 7;
    private static final int HEIGHT = 5;
    private static final int WIDTH = 6;
    private static final int SAMPLES = 5;
    private static final int CONDITION = 3;

    @ParameterizedTest(name = "kernel {0}, attention every {1}, conditioned {2}")
    @CsvSource({"3, 0, false", "5, 0, false", "1, 0, false", "3, 2, false", "3, 1, false", "3, 0, true", "5, 3, true"})
    void everyPositionsLogitsAreThoseOfTheFullPass(int kernel, int attentionEvery, boolean conditioned) {
        try (NDManager manager = NDManager.newBaseManager()) {
            GatedPixelCnn prior = prior(manager, kernel, attentionEvery, conditioned);
            SplittableRandom random = new SplittableRandom(kernel * 31L + attentionEvery);
            long[] maps = grid(random);
            float[] condition = conditioned ? gaussian(random, SAMPLES * CONDITION * HEIGHT * WIDTH) : null;
            float[] full = fullPass(prior, manager, maps, condition);
            IncrementalGatedPixelCnn.Generation generation = IncrementalGatedPixelCnn.of(prior).start(SAMPLES, HEIGHT, WIDTH,
                    condition);
            double worst = 0;
            for (int p = 0; p < HEIGHT * WIDTH; p++) {
                float[] step = generation.at(maps, p / WIDTH, p % WIDTH);
                worst = Math.max(worst, largestDifference(full, step, p));
            }
            assertThat(worst).as("largest logit difference").isLessThan(1e-5);
        }
    }

    /**
     * The same codes as the full-pass sampler, seed by seed, over temperatures and topK, with and without kept codes
     * (rows 1 and 3 kept by every sample, so that whole rows are skipped and caught up).
     */
    @ParameterizedTest(name = "kernel {0}, attention every {1}, conditioned {2}")
    @CsvSource({"3, 0, false", "3, 2, false", "5, 3, true"})
    void rasterSamplingDrawsTheFullPassSamplersCodes(int kernel, int attentionEvery, boolean conditioned) {
        double[] temperatures = {0.3, 1.0, 2.5};
        Integer[] topK = {null, 1, 2, 5};
        try (NDManager manager = NDManager.newBaseManager()) {
            GatedPixelCnn prior = prior(manager, kernel, attentionEvery, conditioned);
            IncrementalGatedPixelCnn incremental = IncrementalGatedPixelCnn.of(prior);
            float[] condition = conditioned ? gaussian(new SplittableRandom(kernel), SAMPLES * CONDITION * HEIGHT * WIDTH) : null;
            Set<String> distinct = new HashSet<>();
            for (int seed = 0; seed < 8; seed++) {
                List<SampleOptions> requests = List.of(new SampleOptions(2, seed, temperatures[seed % 3], topK[seed % 4]),
                        new SampleOptions(3, 100 + seed, temperatures[(seed + 1) % 3], topK[(seed + 1) % 4]));
                RasterSampling.Fixed fixed = seed % 2 == 0 ? null : keptRows(grid(new SplittableRandom(seed)), 1, 3);
                long[] slow = RasterSampling.draw(requests, "codes", RasterSampling.generators(requests), HEIGHT, WIDTH, CODES, fixed,
                        (maps, row, column) -> fullPassAt(prior, manager, maps, condition, row, column));
                long[] fast = RasterSampling.draw(requests, "codes", RasterSampling.generators(requests), HEIGHT, WIDTH, CODES, fixed,
                        incremental.start(SAMPLES, HEIGHT, WIDTH, condition)::at);
                assertThat(fast).as("seed %d", seed).containsExactly(slow);
                distinct.add(Arrays.toString(fast));
            }
            assertThat(distinct).as("the seeds draw different maps").hasSizeGreaterThan(6);
        }
    }

    /** Positions every sample keeps are not asked for; the next step catches up over them. */
    @Test
    void skippedPositionsAreCaughtUpLazily() {
        try (NDManager manager = NDManager.newBaseManager()) {
            GatedPixelCnn prior = prior(manager, 3, 2, false);
            long[] maps = grid(new SplittableRandom(8));
            float[] full = fullPass(prior, manager, maps, null);
            IncrementalGatedPixelCnn.Generation generation = IncrementalGatedPixelCnn.of(prior).start(SAMPLES, HEIGHT, WIDTH, null);
            // Asked for: (0, 2), then the whole of row 3 skipped except its end, then the last position.
            for (int p : new int[] {2, 3, 4 * WIDTH - 1, HEIGHT * WIDTH - 1}) {
                assertThat(largestDifference(full, generation.at(maps, p / WIDTH, p % WIDTH), p)).as("position %d", p)
                        .isLessThan(1e-5);
            }
            assertThatThrownBy(() -> generation.at(maps, 0, 0)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("raster order");
        }
    }

    /** Samples let go of (their requests cancelled) stop; the others' logits stay those of the full pass. */
    @Test
    void samplesLetGoOfStopAndTheOthersGoOnUnchanged() {
        try (NDManager manager = NDManager.newBaseManager()) {
            GatedPixelCnn prior = prior(manager, 3, 2, false);
            long[] maps = grid(new SplittableRandom(9));
            float[] full = fullPass(prior, manager, maps, null);
            IncrementalGatedPixelCnn.Generation generation = IncrementalGatedPixelCnn.of(prior).start(SAMPLES, HEIGHT, WIDTH, null);
            boolean[] live = new boolean[SAMPLES];
            Arrays.fill(live, true);
            for (int p = 0; p < HEIGHT * WIDTH; p++) {
                if (p == WIDTH + 2) {
                    live[1] = false;
                    live[3] = false;
                }
                float[] step = generation.at(maps, p / WIDTH, p % WIDTH, live);
                for (int s = 0; s < SAMPLES; s++) {
                    for (int k = 0; k < CODES; k++) {
                        float expected = live[s] ? full[((s * CODES + k) * HEIGHT + p / WIDTH) * WIDTH + p % WIDTH] : 0f;
                        assertThat((double) step[s * CODES + k]).as("sample %d, position %d", s, p)
                                .isCloseTo(expected, offset(1e-5));
                    }
                }
            }
            assertThatThrownBy(() -> generation.at(maps, HEIGHT - 1, WIDTH - 1, new boolean[2]))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    /** The test can fail: a cache that missed a code (here: the previous row's) gives other logits. */
    @Test
    void aChangedEarlierCodeChangesTheCachedLogits() {
        try (NDManager manager = NDManager.newBaseManager()) {
            GatedPixelCnn prior = prior(manager, 3, 0, false);
            IncrementalGatedPixelCnn incremental = IncrementalGatedPixelCnn.of(prior);
            long[] maps = grid(new SplittableRandom(9));
            long[] changed = maps.clone();
            changed[WIDTH + 2] = (changed[WIDTH + 2] + 1) % CODES;
            float[] before = incremental.start(SAMPLES, HEIGHT, WIDTH, null).at(maps, 2, 2);
            float[] after = incremental.start(SAMPLES, HEIGHT, WIDTH, null).at(changed, 2, 2);
            assertThat(after).isNotEqualTo(before);
        }
    }

    @Test
    void conditioningMustMatchThePrior() {
        try (NDManager manager = NDManager.newBaseManager()) {
            IncrementalGatedPixelCnn plain = IncrementalGatedPixelCnn.of(prior(manager, 3, 0, false));
            IncrementalGatedPixelCnn conditional = IncrementalGatedPixelCnn.of(prior(manager, 3, 0, true));
            assertThatThrownBy(() -> plain.start(1, HEIGHT, WIDTH, new float[CONDITION * HEIGHT * WIDTH]))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("takes no conditioning");
            assertThatThrownBy(() -> conditional.start(1, HEIGHT, WIDTH, null))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs conditioning");
            assertThatThrownBy(() -> conditional.start(1, HEIGHT, WIDTH, new float[5]))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("hold 5 values");
        }
    }

    /** Every sample keeps its codes in the given rows. */
    private static RasterSampling.Fixed keptRows(long[] codes, int... rows) {
        boolean[] kept = new boolean[codes.length];
        for (int s = 0; s < SAMPLES; s++) {
            for (int row : rows) {
                Arrays.fill(kept, (s * HEIGHT + row) * WIDTH, (s * HEIGHT + row + 1) * WIDTH, true);
            }
        }
        return new RasterSampling.Fixed(codes, kept);
    }

    /** The full-pass sampler's logits at (row, column): one pass over the whole map, K per sample. */
    private static float[] fullPassAt(GatedPixelCnn prior, NDManager manager, long[] maps, float @Nullable [] condition, int row,
            int column) {
        float[] full = fullPass(prior, manager, maps, condition);
        float[] at = new float[SAMPLES * CODES];
        for (int s = 0; s < SAMPLES; s++) {
            for (int k = 0; k < CODES; k++) {
                at[s * CODES + k] = full[(s * CODES + k) * HEIGHT * WIDTH + row * WIDTH + column];
            }
        }
        return at;
    }

    static GatedPixelCnn prior(NDManager manager, int kernel, int attentionEvery, boolean conditioned) {
        GatedPixelCnn.Options options = new GatedPixelCnn.Options(conditioned ? CONDITION : 0, attentionEvery, 2, 0f, HEIGHT, WIDTH);
        GatedPixelCnn prior = new GatedPixelCnn(CODES, 8, 4, kernel, 16, options);
        Shape grid = new Shape(SAMPLES, HEIGHT, WIDTH);
        if (conditioned) {
            prior.initialize(manager, DataType.FLOAT32, grid, new Shape(SAMPLES, CONDITION, HEIGHT, WIDTH));
        } else {
            prior.initialize(manager, DataType.FLOAT32, grid);
        }
        TorchDefaultInit.apply(prior, 11);
        return prior;
    }

    private static long[] grid(SplittableRandom random) {
        long[] grid = new long[SAMPLES * HEIGHT * WIDTH];
        for (int i = 0; i < grid.length; i++) {
            grid[i] = random.nextInt(CODES);
        }
        return grid;
    }

    private static float[] gaussian(SplittableRandom random, int size) {
        float[] values = new float[size];
        for (int i = 0; i < size; i++) {
            values[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return values;
    }

    /** (N, K, H, W) logits of one full pass. */
    private static float[] fullPass(GatedPixelCnn prior, NDManager manager, long[] maps, float @Nullable [] condition) {
        try (NDManager scope = manager.newSubManager()) {
            NDList inputs = new NDList(scope.create(maps, new Shape(SAMPLES, HEIGHT, WIDTH)));
            if (condition != null) {
                inputs.add(scope.create(condition, new Shape(SAMPLES, CONDITION, HEIGHT, WIDTH)));
            }
            NDArray logits = prior.forward(new ParameterStore(scope, false), inputs, false).singletonOrThrow();
            return logits.toFloatArray();
        }
    }

    /** Largest |full - step| over samples and codes at raster position p; step holds K logits per sample. */
    private static double largestDifference(float[] full, float[] step, int p) {
        double worst = 0;
        for (int s = 0; s < SAMPLES; s++) {
            for (int k = 0; k < CODES; k++) {
                float expected = full[(s * CODES + k) * HEIGHT * WIDTH + p];
                worst = Math.max(worst, Math.abs(expected - step[s * CODES + k]));
            }
        }
        return worst;
    }
}
