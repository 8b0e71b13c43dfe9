package dev.latentserve.family.vqvae2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import dev.latentserve.family.Checkpoints;
import dev.latentserve.family.Completing;
import dev.latentserve.family.Completing.CompleteCall;
import dev.latentserve.family.Completing.Completed;
import dev.latentserve.family.Latents.CodeHierarchy;
import dev.latentserve.family.LoadedModel;
import dev.latentserve.family.LoadedModel.SampleOptions;
import dev.latentserve.family.SamplingProperties;
import dev.latentserve.family.TrainingSpec;
import dev.latentserve.image.ImageData;
import dev.latentserve.image.ImageShape;
import dev.latentserve.testing.RecordingMonitor;
import dev.latentserve.testing.SamplerEquivalence;
import dev.latentserve.testing.SyntheticImages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Completion with a VQ-VAE-2's two priors on 28x28 images padded by 2 pixels on each side to 32x32: a 4x4 top grid
 * (8x8 pixels per code) and an 8x8 bottom grid (4x4 per code), where padding counts as known.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class VqVae2CompletionTests {

    private static final ImageShape SHAPE = new ImageShape(1, 28, 28);

    private final VqVae2Family family = new VqVae2Family();
    private Path dir;
    private Map<String, Object> architecture;
    private LoadedModel model;
    private float[] image;

    @BeforeAll
    void trainAModelWithPriors() throws Exception {
        Path dir = Files.createTempDirectory("vq2-complete");
        ImageData train = SyntheticImages.blobs(SHAPE, 192, 1);
        Map<String, Object> small = Map.of("hiddenChannels", 8, "residualChannels", 8, "residualBlocks", 1, "topCodes", 8,
                "topCodeDim", 8, "bottomCodes", 16, "bottomCodeDim", 8);
        TrainingSpec spec = new TrainingSpec(SHAPE, family.architecture(small, SHAPE), 1, 32, 2e-3, 3, Device.cpu());
        family.train(spec, train, train, new RecordingMonitor(new ArrayList<>()), Checkpoints.none(), dir);
        Map<String, Object> priors = family.priorArchitecture(Map.of(
                "top", Map.of("channels", 8, "layers", 2, "hidden", 16, "attentionEvery", 1, "heads", 2),
                "bottom", Map.of("channels", 8, "layers", 2, "hidden", 16, "conditionChannels", 8)), spec.architecture(), SHAPE);
        Path both = Files.createDirectories(dir.resolve("both"));
        architecture = family.fitPrior(dir, spec.architecture(), new TrainingSpec(SHAPE, priors, 1, 32, 3e-3,
                5, Device.cpu()), train, train, new RecordingMonitor(new ArrayList<>()), Checkpoints.none(), both).architecture();
        this.dir = both;
        model = family.load(both, SHAPE, architecture, Device.cpu());
        image = new float[SHAPE.size()];
        SyntheticImages.blobs(SHAPE, 1, 9).copyImage(0, image, 0);
    }

    /**
     * Issue 18: incremental sampling draws what the full-pass sampler draws, from the top prior with attention and from
     * the bottom prior conditioned on the top codes.
     */
    @Test
    void incrementalSamplingDrawsTheFullPassSamplersCodes() throws Exception {
        try (LoadedModel fullPass = new VqVae2Family(new SamplingProperties(false)).load(dir, SHAPE, architecture, Device.cpu())) {
            assertThat(SamplerEquivalence.assertSameCodes(model, fullPass, List.of("top", "bottom"), image, 10 * SHAPE.width(), 4))
                    .isEqualTo(33);
        }
    }

    @AfterAll
    void close() {
        model.close();
    }

    private Completed complete(int knownRows, int count, long seed) {
        boolean[] known = new boolean[SHAPE.height() * SHAPE.width()];
        Arrays.fill(known, 0, knownRows * SHAPE.width(), true);
        return ((Completing) model).complete(List.of(new CompleteCall(image, known, new SampleOptions(count, seed, 1.0, null))))
                .getFirst();
    }

    @Test
    void anImageKnownWhollyCompletesToItsOwnCodesAndReconstruction() {
        LoadedModel.Reconstruction reconstruction = model.reconstruct(new float[][] {image}, 0).getFirst();
        CodeHierarchy own = (CodeHierarchy) reconstruction.codes();
        Completed completed = complete(28, 2, 1);
        CodeHierarchy codes = (CodeHierarchy) completed.codes();
        for (int i = 0; i < 2; i++) {
            assertThat(codes.level("top").get(i)).isDeepEqualTo(own.level("top").getFirst());
            assertThat(codes.level("bottom").get(i)).isDeepEqualTo(own.level("bottom").getFirst());
            assertThat(completed.images()[i]).containsExactly(reconstruction.pixels(), within(1e-5f));
        }
    }

    @Test
    void knownTopRowsKeepEachLevelsCodesOverThemAndTheSeedDecides() {
        CodeHierarchy own = (CodeHierarchy) model.reconstruct(new float[][] {image}, 0).getFirst().codes();
        // 14 known rows, padded by 2: top codes cover padded rows 0-7 and 8-15 (image rows -2..5, 6..13), bottom codes
        // rows 0-3 cover image rows -2..13.
        Completed completed = complete(14, 6, 3);
        CodeHierarchy kept = (CodeHierarchy) completed.kept();
        assertThat(kept.level("top").getFirst()).isDeepEqualTo(new int[][] {{1, 1, 1, 1}, {1, 1, 1, 1}, {0, 0, 0, 0}, {0, 0, 0, 0}});
        int[][] bottomKept = kept.level("bottom").getFirst();
        for (int r = 0; r < 8; r++) {
            assertThat(bottomKept[r]).containsOnly(r < 4 ? 1 : 0);
        }
        CodeHierarchy codes = (CodeHierarchy) completed.codes();
        for (int i = 0; i < 6; i++) {
            assertThat(Arrays.copyOf(codes.level("top").get(i), 2)).isDeepEqualTo(Arrays.copyOf(own.level("top").getFirst(), 2));
            assertThat(Arrays.copyOf(codes.level("bottom").get(i), 4)).isDeepEqualTo(Arrays.copyOf(own.level("bottom").getFirst(), 4));
        }
        Completed again = complete(14, 6, 3);
        assertThat(again.codes()).usingRecursiveComparison().isEqualTo(completed.codes());
        assertThat(again.images()).isDeepEqualTo(completed.images());
        CodeHierarchy other = (CodeHierarchy) complete(14, 6, 4).codes();
        assertThat(Arrays.deepToString(other.level("bottom").toArray()))
                .isNotEqualTo(Arrays.deepToString(codes.level("bottom").toArray()));
    }
}
