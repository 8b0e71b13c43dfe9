package dev.latentserve.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.util.SplittableRandom;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GatedPixelCnnTests {

    private static final int CODES = 5;
    private static final int HEIGHT = 5;
    private static final int WIDTH = 6;

    /** With attention, as in the VQ-VAE-2 top prior: causal self-attention after layers 2 and 4. */
    private static final GatedPixelCnn.Options ATTENTION = new GatedPixelCnn.Options(0, 2, 2, 0f, HEIGHT, WIDTH);

    @ParameterizedTest(name = "attention: {0}")
    @ValueSource(booleans = {false, true})
    void logitsAtAPositionNeverSeeThatPositionOrLaterOnes(boolean attention) {
        try (NDManager manager = NDManager.newBaseManager()) {
            GatedPixelCnn prior = prior(manager, attention ? ATTENTION : GatedPixelCnn.Options.NONE);
            long[] grid = randomGrid(new SplittableRandom(3));
            float[] base = logits(prior, manager, grid);
            int changedLater = 0;
            for (int p = 0; p < HEIGHT * WIDTH; p++) {
                long[] perturbed = grid.clone();
                perturbed[p] = (perturbed[p] + 1) % CODES; // sample 0 only
                float[] after = logits(prior, manager, perturbed);
                for (int q = 0; q < HEIGHT * WIDTH; q++) {
                    for (int k = 0; k < CODES; k++) {
                        int at = index(0, k, q);
                        if (q <= p) {
                            assertThat(after[at]).as("logit %d at %d after changing %d", k, q, p).isCloseTo(base[at], within(1e-5f));
                        } else if (Math.abs(after[at] - base[at]) > 1e-4f) {
                            changedLater++;
                        }
                    }
                }
                for (int i = HEIGHT * WIDTH * CODES; i < base.length; i++) {
                    assertThat(after[i]).as("the other sample is untouched").isCloseTo(base[i], within(1e-5f));
                }
            }
            // The test can fail: changing a code does move the logits of later positions.
            assertThat(changedLater).isGreaterThan(HEIGHT * WIDTH);
        }
    }

    @ParameterizedTest(name = "attention: {0}")
    @ValueSource(booleans = {false, true})
    void positionsUpAndToTheRightAreSeenSoThereIsNoBlindSpot(boolean attention) {
        try (NDManager manager = NDManager.newBaseManager()) {
            GatedPixelCnn prior = prior(manager, attention ? ATTENTION : GatedPixelCnn.Options.NONE);
            long[] grid = randomGrid(new SplittableRandom(4));
            float[] base = logits(prior, manager, grid);
            int target = 4 * WIDTH + 2;
            // Up-right of the target (3,3), (3,4), (2,4) is what one masked stack would miss; also left and far above.
            for (int p : new int[] {3 * WIDTH + 3, 3 * WIDTH + 4, 2 * WIDTH + 4, 4 * WIDTH, 4 * WIDTH + 1, 2}) {
                long[] perturbed = grid.clone();
                perturbed[p] = (perturbed[p] + 2) % CODES;
                float[] after = logits(prior, manager, perturbed);
                double change = 0;
                for (int k = 0; k < CODES; k++) {
                    change += Math.abs(after[index(0, k, target)] - base[index(0, k, target)]);
                }
                assertThat(change).as("position %d reaches position %d", p, target).isGreaterThan(1e-6);
            }
        }
    }

    @Test
    void uniformLogitsGiveLogKNatsPerCode() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray logits = manager.zeros(new Shape(2, CODES, HEIGHT, WIDTH));
            NDArray grid = manager.create(randomGrid(new SplittableRandom(1)), new Shape(2, HEIGHT, WIDTH));
            float[] nll = GatedPixelCnn.negativeLogLikelihood(logits, grid).toFloatArray();
            assertThat(nll).containsExactly(new float[] {(float) (HEIGHT * WIDTH * Math.log(CODES)),
                    (float) (HEIGHT * WIDTH * Math.log(CODES))}, within(1e-3f));
        }
    }

    /** Attention reaches every earlier position in one layer: a 1-layer prior with it sees what one without cannot. */
    @Test
    void attentionReachesPositionsBeyondTheConvolutionsField() {
        try (NDManager manager = NDManager.newBaseManager()) {
            GatedPixelCnn.Options oneLayerAttention = new GatedPixelCnn.Options(0, 1, 2, 0f, HEIGHT, WIDTH);
            GatedPixelCnn plain = new GatedPixelCnn(CODES, 8, 1, 3, 16);
            GatedPixelCnn withAttention = new GatedPixelCnn(CODES, 8, 1, 3, 16, oneLayerAttention);
            for (GatedPixelCnn prior : List.of(plain, withAttention)) {
                prior.initialize(manager, DataType.FLOAT32, new Shape(2, HEIGHT, WIDTH));
                TorchDefaultInit.apply(prior, 9);
            }
            long[] grid = randomGrid(new SplittableRandom(5));
            long[] perturbed = grid.clone();
            perturbed[0] = (perturbed[0] + 1) % CODES;
            int target = (HEIGHT - 1) * WIDTH + WIDTH - 1;
            assertThat(change(plain, manager, grid, perturbed, target)).as("one 3x3 layer does not reach the far corner")
                    .isLessThan(1e-6);
            assertThat(change(withAttention, manager, grid, perturbed, target)).as("attention does").isGreaterThan(1e-6);
        }
    }

    private static double change(GatedPixelCnn prior, NDManager manager, long[] grid, long[] perturbed, int position) {
        float[] base = logits(prior, manager, grid);
        float[] after = logits(prior, manager, perturbed);
        double change = 0;
        for (int k = 0; k < CODES; k++) {
            change += Math.abs(after[index(0, k, position)] - base[index(0, k, position)]);
        }
        return change;
    }

    private static GatedPixelCnn prior(NDManager manager, GatedPixelCnn.Options options) {
        GatedPixelCnn prior = new GatedPixelCnn(CODES, 8, 4, 3, 16, options);
        prior.initialize(manager, DataType.FLOAT32, new Shape(2, HEIGHT, WIDTH));
        TorchDefaultInit.apply(prior, 9);
        return prior;
    }

    private static long[] randomGrid(SplittableRandom random) {
        long[] grid = new long[2 * HEIGHT * WIDTH];
        for (int i = 0; i < grid.length; i++) {
            grid[i] = random.nextInt(CODES);
        }
        return grid;
    }

    private static float[] logits(GatedPixelCnn prior, NDManager manager, long[] grid) {
        try (NDManager scope = manager.newSubManager()) {
            NDArray codes = scope.create(grid, new Shape(2, HEIGHT, WIDTH));
            return prior.forward(new ParameterStore(scope, false), new NDList(codes), false).singletonOrThrow().toFloatArray();
        }
    }

    /** Flat index of logit k at raster position q of sample n in an (N, K, H, W) array. */
    private static int index(int n, int k, int q) {
        return ((n * CODES + k) * HEIGHT * WIDTH) + q;
    }
}
