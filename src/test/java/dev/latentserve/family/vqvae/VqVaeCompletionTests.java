package dev.latentserve.family.vqvae;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.latentserve.family.Checkpoints;
import dev.latentserve.family.Completing;
import dev.latentserve.family.Completing.CompleteCall;
import dev.latentserve.family.Completing.Completed;
import dev.latentserve.family.DjlModels;
import dev.latentserve.family.Latents;
import dev.latentserve.family.LoadedModel;
import dev.latentserve.family.LoadedModel.SampleOptions;
import dev.latentserve.family.SamplingProperties;
import dev.latentserve.family.TrainingSpec;
import dev.latentserve.family.vq.PriorArchitecture;
import dev.latentserve.image.ImageData;
import dev.latentserve.image.ImageShape;
import dev.latentserve.nn.Categorical;
import dev.latentserve.testing.RecordingMonitor;
import dev.latentserve.testing.SamplerEquivalence;
import dev.latentserve.testing.SyntheticImages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Completion with a VQ-VAE's prior on a small model (16x16 images, 4x4 codes of K = 16, each code over 4x4 pixels),
 * trained briefly: what is kept, determinism per seed, and that a known top part gives the prior's exact conditionals.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class VqVaeCompletionTests {

    private static final ImageShape SHAPE = new ImageShape(1, 16, 16);
    private static final int GRID = 4;
    private static final int CODES = 16;

    private final VqVaeFamily family = new VqVaeFamily();
    private Path dir;
    private Map<String, Object> architecture;
    private LoadedModel model;
    private float[] image;

    @BeforeAll
    void trainAModelWithAPrior() throws Exception {
        dir = Files.createTempDirectory("vq-complete");
        ImageData train = SyntheticImages.blobs(SHAPE, 256, 1);
        Map<String, Object> small = Map.of("hiddenChannels", 16, "residualChannels", 8, "residualBlocks", 1, "codes", CODES,
                "codeDim", 8);
        TrainingSpec spec = new TrainingSpec(SHAPE, family.architecture(small, SHAPE), 2, 32, 2e-3, 3, Device.cpu());
        family.train(spec, train, train, new RecordingMonitor(new ArrayList<>()), Checkpoints.none(), dir);
        Path withPrior = Files.createDirectories(dir.resolve("with-prior"));
        Map<String, Object> prior = family.priorArchitecture(Map.of("channels", 16, "layers", 3, "hidden", 32),
                spec.architecture(), SHAPE);
        architecture = family.fitPrior(dir, spec.architecture(), new TrainingSpec(SHAPE, prior, 1, 32, 3e-3, 5, Device.cpu()),
                train, train, new RecordingMonitor(new ArrayList<>()), Checkpoints.none(), withPrior).architecture();
        dir = withPrior;
        model = family.load(dir, SHAPE, architecture, Device.cpu());
        image = new float[SHAPE.size()];
        SyntheticImages.blobs(SHAPE, 1, 9).copyImage(0, image, 0);
    }

    /** Issue 18: incremental sampling draws what the full-pass sampler draws (sample and complete). */
    @Test
    void incrementalSamplingDrawsTheFullPassSamplersCodes() throws Exception {
        try (LoadedModel fullPass = new VqVaeFamily(new SamplingProperties(false)).load(dir, SHAPE, architecture, Device.cpu())) {
            assertThat(SamplerEquivalence.assertSameCodes(model, fullPass, List.of(), image, 6 * SHAPE.width(), 12)).isEqualTo(89);
        }
    }

    @AfterAll
    void close() {
        model.close();
    }

    private Completed complete(int knownRows, int count, long seed) {
        return complete(knownRows(knownRows), count, seed);
    }

    private Completed complete(boolean[] known, int count, long seed) {
        return ((Completing) model).complete(List.of(new CompleteCall(image, known, new SampleOptions(count, seed, 1.0, null))))
                .getFirst();
    }

    private static boolean[] knownRows(int rows) {
        boolean[] known = new boolean[SHAPE.height() * SHAPE.width()];
        Arrays.fill(known, 0, rows * SHAPE.width(), true);
        return known;
    }

    @Test
    void anImageKnownWhollyCompletesToItsOwnCodesAndReconstruction() {
        Completed completed = complete(16, 2, 1);
        LoadedModel.Reconstruction reconstruction = model.reconstruct(new float[][] {image}, 0).getFirst();
        int[][] own = grids(reconstruction.codes())[0];
        for (int i = 0; i < 2; i++) {
            assertThat(grids(completed.codes())[i]).isDeepEqualTo(own);
            assertThat(completed.images()[i]).containsExactly(reconstruction.pixels(), within(1e-5f));
        }
        assertThat(grids(completed.kept())[0]).isDeepEqualTo(new int[][] {{1, 1, 1, 1}, {1, 1, 1, 1}, {1, 1, 1, 1}, {1, 1, 1, 1}});
    }

    @Test
    void keptCodesAreTheImagesOwnInEveryAlternative() {
        int[][] own = grids(model.reconstruct(new float[][] {image}, 0).getFirst().codes())[0];
        // 9 known rows: code rows 0 and 1 (pixels 0-7) lie wholly in them, row 2 (pixels 8-11) only partly.
        Completed completed = complete(9, 8, 3);
        assertThat(grids(completed.kept())[0]).isDeepEqualTo(new int[][] {{1, 1, 1, 1}, {1, 1, 1, 1}, {0, 0, 0, 0}, {0, 0, 0, 0}});
        for (int[][] grid : grids(completed.codes())) {
            assertThat(grid[0]).containsExactly(own[0]);
            assertThat(grid[1]).containsExactly(own[1]);
        }
        // A mask keeps exactly the codes whose 4x4 footprint it covers: here the left half and one more pixel.
        boolean[] leftHalf = new boolean[SHAPE.size()];
        for (int y = 0; y < 16; y++) {
            Arrays.fill(leftHalf, y * 16, y * 16 + 8, true);
        }
        leftHalf[8] = true;
        Completed masked = complete(leftHalf, 4, 3);
        assertThat(grids(masked.kept())[0]).isDeepEqualTo(new int[][] {{1, 1, 0, 0}, {1, 1, 0, 0}, {1, 1, 0, 0}, {1, 1, 0, 0}});
        for (int[][] grid : grids(masked.codes())) {
            for (int r = 0; r < GRID; r++) {
                assertThat(Arrays.copyOf(grid[r], 2)).containsExactly(Arrays.copyOf(own[r], 2));
            }
        }
    }

    @Test
    void theSameSeedGivesTheSameCompletionsAndOtherSeedsOthers() {
        Completed first = complete(8, 6, 11);
        Completed again = complete(8, 6, 11);
        assertThat(grids(again.codes())).isDeepEqualTo(grids(first.codes()));
        assertThat(again.images()).isDeepEqualTo(first.images());
        Completed other = complete(8, 6, 12);
        assertThat(unknownRows(grids(other.codes()))).isNotEqualTo(unknownRows(grids(first.codes())));
        // Completed in one batch with another request, each gets what it gets alone.
        List<Completed> together = ((Completing) model).complete(List.of(
                new CompleteCall(image, knownRows(8), new SampleOptions(6, 11, 1.0, null)),
                new CompleteCall(image, knownRows(4), new SampleOptions(3, 5, 0.7, 4))));
        assertThat(grids(together.getFirst().codes())).isDeepEqualTo(grids(first.codes()));
        Completed secondAlone = ((Completing) model).complete(List.of(
                new CompleteCall(image, knownRows(4), new SampleOptions(3, 5, 0.7, 4)))).getFirst();
        assertThat(grids(together.get(1).codes())).isDeepEqualTo(grids(secondAlone.codes()));
    }

    private static String unknownRows(int[][][] grids) {
        return Arrays.stream(grids).map(grid -> Arrays.deepToString(Arrays.copyOfRange(grid, 2, GRID))).toList().toString();
    }

    /**
     * Teacher forcing: one full pass of the prior over each completed map gives, at every drawn position, the logits the
     * draw used (the prior is causal and the kept codes come first), so replaying the seed's Gumbel-max draws over them,
     * kept positions drawing nothing, gives the same codes.
     */
    @Test
    void aKnownTopPartIsCompletedFromThePriorsExactConditionals() throws Exception {
        int count = 3;
        double temperature = 0.9;
        int knownRows = 9;
        Completed completed = ((Completing) model).complete(List.of(
                new CompleteCall(image, knownRows(knownRows), new SampleOptions(count, 21, temperature, 6)))).getFirst();
        int[][][] maps = grids(completed.codes());
        int[][] kept = grids(completed.kept())[0];
        assertThat(kept[1]).containsOnly(1);
        assertThat(kept[2]).containsOnly(0);
        VqVaeArchitecture parsed = VqVaeArchitecture.from(architecture, SHAPE);
        @SuppressWarnings("unchecked")
        PriorArchitecture priorArchitecture = PriorArchitecture.from((Map<String, Object>) architecture.get("prior"));
        try (Model prior = DjlModels.load(VqVaeFamily.PRIOR_PREFIX, VqVaeFamily.priorBlock(parsed, priorArchitecture), dir,
                VqVaeFamily.PRIOR_PREFIX, Device.cpu(), "prior"); NDManager scope = prior.getNDManager().newSubManager()) {
            long[] flat = Arrays.stream(maps).flatMap(Arrays::stream).flatMapToInt(Arrays::stream).asLongStream().toArray();
            NDArray logits = prior.getBlock().forward(new ParameterStore(scope, false),
                    new NDList(scope.create(flat, new Shape(count, GRID, GRID))), false).singletonOrThrow();
            // (count, K, h, w) to (h, w, count, K): at each position the K logits of every sample, sample-major.
            float[] byPosition = logits.transpose(2, 3, 0, 1).toFloatArray();
            SplittableRandom random = new SplittableRandom(21);
            for (int row = 0; row < GRID; row++) {
                for (int column = 0; column < GRID; column++) {
                    if (kept[row][column] == 1) {
                        continue;
                    }
                    int offset = (row * GRID + column) * count * CODES;
                    for (int s = 0; s < count; s++) {
                        int expected = Categorical.gumbelMax(byPosition, offset + s * CODES, CODES, temperature, 6, random);
                        assertThat(maps[s][row][column]).as("sample %d at (%d, %d)", s, row, column).isEqualTo(expected);
                    }
                }
            }
        }
    }

    private static int[][][] grids(Latents latents) {
        return ((Latents.CodeGrids) latents).grids().toArray(int[][][]::new);
    }
}
