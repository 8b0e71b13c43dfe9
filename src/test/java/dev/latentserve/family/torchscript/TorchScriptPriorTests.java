package dev.latentserve.family.torchscript;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import dev.latentserve.family.Checkpoints;
import dev.latentserve.family.Completing;
import dev.latentserve.family.EpochMetrics;
import dev.latentserve.family.LatentSpec;
import dev.latentserve.family.Latents;
import dev.latentserve.family.LoadedModel;
import dev.latentserve.family.PriorFitting;
import dev.latentserve.family.SamplingProperties;
import dev.latentserve.family.TrainingMonitor.Phase;
import dev.latentserve.family.TrainingSpec;
import dev.latentserve.image.ImageData;
import dev.latentserve.image.ImageShape;
import dev.latentserve.testing.RecordingMonitor;
import dev.latentserve.testing.Rows;
import dev.latentserve.testing.SamplerEquivalence;
import dev.latentserve.testing.SyntheticImages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A fit-prior job on an imported VQ-VAE publishes a version that samples, as on a trained one. */
class TorchScriptPriorTests {

    private static final ImageShape SHAPE = new ImageShape(1, 28, 28);

    private final TorchScriptFamily family = new TorchScriptFamily();

    @Test
    void aPriorFittedToAnImportedVqVaesCodesSamplesCodeGridsDeterministicallyPerSeed(@TempDir Path dir) throws Exception {
        Path base = Fixtures.folder("torchscript/vqvae");
        Map<String, Object> architecture = family.inspect(base, Device.cpu()).architecture();
        LatentSpec.CodeGrid codes = (LatentSpec.CodeGrid) family.latentSpec(architecture, SHAPE);
        Map<String, Object> prior = family.priorArchitecture(Map.of("channels", 8, "layers", 2, "hidden", 16), architecture, SHAPE);
        assertThat(prior).containsEntry("type", "gated-pixelcnn").containsEntry("kernel", 3);
        Path output = Files.createDirectories(dir.resolve("with-prior"));
        List<EpochMetrics> epochs = new ArrayList<>();
        RecordingMonitor monitor = new RecordingMonitor(epochs);
        PriorFitting.PriorFit fit = family.fitPrior(base, architecture, new TrainingSpec(SHAPE, prior, 2, 16, 3e-3, 5, Device.cpu()),
                SyntheticImages.blobs(SHAPE, 64, 1), SyntheticImages.blobs(SHAPE, 16, 2), monitor, Checkpoints.none(), output);

        assertThat(monitor.plans()).containsExactly(List.of(new Phase("prior", "epochs", 2, 1)));
        assertThat(epochs).hasSize(2);
        // Held-out NLL per code map below that of a uniform prior over the codes.
        assertThat(epochs.getLast().testTerms().get("nll")).isLessThan(49 * Math.log(codes.codes()));
        assertThat(fit.architecture()).containsEntry("prior", prior).containsEntry("codebook", architecture.get("codebook"));
        assertThat(family.latentSpec(fit.architecture(), SHAPE))
                .isEqualTo(new LatentSpec.CodeGrid(codes.codes(), codes.codeDim(), List.of(7, 7), "gated-pixelcnn"));
        assertThat(family.files(fit.architecture())).containsExactly("latentserve-model.json", "encoder.pt", "decoder.pt",
                "codebook.npy", "prior-0000.params").allSatisfy(file -> assertThat(output.resolve(file)).isRegularFile());

        try (LoadedModel model = family.load(output, SHAPE, fit.architecture(), Device.cpu())) {
            LoadedModel.Sampled first = model.sample(new LoadedModel.SampleOptions(3, 5, 1.0, null));
            LoadedModel.Sampled again = model.sample(new LoadedModel.SampleOptions(3, 5, 1.0, null));
            List<int[][]> grids = ((Latents.CodeGrids) first.latents()).grids();
            assertThat(grids).hasSize(3).allSatisfy(grid -> {
                assertThat(grid).hasDimensions(7, 7);
                assertThat(Arrays.stream(grid).flatMapToInt(Arrays::stream).boxed().toList()).allSatisfy(code -> assertThat(code)
                        .isBetween(0, codes.codes() - 1));
            });
            assertThat(((Latents.CodeGrids) again.latents()).grids()).usingRecursiveComparison().isEqualTo(grids);
            assertThat(first.images()).isDeepEqualTo(again.images());
            Rows.assertClose(model.decode(first.latents()), first.images());
            List<int[][]> other = ((Latents.CodeGrids) model.sample(new LoadedModel.SampleOptions(3, 6, 1.0, null)).latents()).grids();
            assertThat(other.stream().map(Arrays::deepToString).toList()).isNotEqualTo(grids.stream().map(Arrays::deepToString).toList());
            completionKeepsTheCodesOverTheKnownRows(model);
            float[] image = new float[SHAPE.size()];
            SyntheticImages.blobs(SHAPE, 1, 4).copyImage(0, image, 0);
            try (LoadedModel fullPass = new TorchScriptFamily(new SamplingProperties(false)).load(output, SHAPE, fit.architecture(),
                    Device.cpu())) {
                assertThat(SamplerEquivalence.assertSameCodes(model, fullPass, List.of(), image, 9 * SHAPE.width(), 4)).isEqualTo(33);
            }
        }
    }

    /** 7x7 codes of a 28x28 image, 4x4 pixels each: 9 known rows keep code rows 0 and 1; all 28 keep every code. */
    private static void completionKeepsTheCodesOverTheKnownRows(LoadedModel model) {
        float[] image = new float[SHAPE.size()];
        SyntheticImages.blobs(SHAPE, 1, 3).copyImage(0, image, 0);
        int[][] own = ((Latents.CodeGrids) model.reconstruct(new float[][] {image}, 0).getFirst().codes()).grids().getFirst();
        boolean[] known = new boolean[28 * 28];
        Arrays.fill(known, 0, 9 * 28, true);
        Completing.Completed completed = ((Completing) model).complete(List.of(new Completing.CompleteCall(image, known,
                new LoadedModel.SampleOptions(3, 1, 1.0, null)))).getFirst();
        int[][] kept = ((Latents.CodeGrids) completed.kept()).grids().getFirst();
        for (int r = 0; r < 7; r++) {
            assertThat(kept[r]).containsOnly(r < 2 ? 1 : 0);
        }
        assertThat(((Latents.CodeGrids) completed.codes()).grids()).hasSize(3).allSatisfy(grid -> {
            assertThat(grid[0]).containsExactly(own[0]);
            assertThat(grid[1]).containsExactly(own[1]);
        });
        Arrays.fill(known, true);
        Completing.Completed whole = ((Completing) model).complete(List.of(new Completing.CompleteCall(image, known,
                new LoadedModel.SampleOptions(1, 1, 1.0, null)))).getFirst();
        assertThat(((Latents.CodeGrids) whole.codes()).grids().getFirst()).isDeepEqualTo(own);
    }
}
