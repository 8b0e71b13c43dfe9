package dev.latentserve.family.vqvae;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import dev.latentserve.family.Checkpoints;
import dev.latentserve.family.EpochMetrics;
import dev.latentserve.family.HeldOutQuantiles;
import dev.latentserve.family.InvalidArchitectureException;
import dev.latentserve.family.InvalidInferenceInputException;
import dev.latentserve.family.LatentSpec;
import dev.latentserve.family.Latents;
import dev.latentserve.family.LoadedModel;
import dev.latentserve.family.NoPriorException;
import dev.latentserve.family.TrainingCancelledException;
import dev.latentserve.family.TrainingMonitor;
import dev.latentserve.family.TrainingMonitor.Phase;
import dev.latentserve.family.TrainingSpec;
import dev.latentserve.image.ImageData;
import dev.latentserve.image.ImageShape;
import dev.latentserve.testing.RecordingMonitor;
import dev.latentserve.testing.Rows;
import dev.latentserve.testing.SyntheticImages;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VqVaeFamilyTests {

    private static final ImageShape SHAPE = new ImageShape(1, 16, 16);
    private static final Map<String, Object> SMALL = Map.of("hiddenChannels", 16, "residualChannels", 8, "residualBlocks", 1,
            "codes", 16, "codeDim", 8);

    private final VqVaeFamily family = new VqVaeFamily();

    @Test
    void reconstructionErrorFallsAndCodeGridsRoundTrip(@TempDir Path dir) throws Exception {
        ImageData train = SyntheticImages.blobs(SHAPE, 1024, 1);
        ImageData test = SyntheticImages.blobs(SHAPE, 128, 2);
        TrainingSpec spec = new TrainingSpec(SHAPE, family.architecture(SMALL, SHAPE), 4, 32, 2e-3, 3, Device.cpu());
        List<EpochMetrics> epochs = new ArrayList<>();
        RecordingMonitor training = new RecordingMonitor(epochs);
        family.train(spec, train, test, training, Checkpoints.none(), dir);

        assertThat(training.plans()).containsExactly(List.of(new Phase("train", "epochs", 4, 1)));
        assertThat(training.stepPhases()).containsExactly("train");
        assertThat(epochs).hasSize(4).allSatisfy(epoch -> assertThat(epoch.phase()).isEqualTo("train"));
        double firstMse = epochs.getFirst().testTerms().get("mse");
        double lastMse = epochs.getLast().testTerms().get("mse");
        assertThat(lastMse).isLessThan(firstMse * 0.8);
        assertThat(epochs.getLast().testTerms().get("perplexity")).isGreaterThan(2.0);
        assertThat(epochs.getLast().testTerms().get("usedCodes")).isGreaterThan(2.0);
        assertThat(epochs.getLast().trainTerms()).containsKeys("commitment", "deadCodeRestarts");
        assertThat(family.latentSpec(spec.architecture(), SHAPE)).isEqualTo(new LatentSpec.CodeGrid(16, 8, List.of(4, 4), "none"));

        try (LoadedModel model = family.load(dir, SHAPE, spec.architecture(), Device.cpu())) {
            float[][] images = new float[3][SHAPE.size()];
            for (int i = 0; i < 3; i++) {
                test.copyImage(i, images[i], 0);
            }
            LoadedModel.Encoded encoded = model.encode(images, new LoadedModel.EncodeOptions(false, 0, true));
            int[][][] codes = grids(encoded.latents());
            assertThat(codes.length).isEqualTo(3);
            for (int[][] grid : codes) {
                assertThat(grid.length).isEqualTo(4);
                for (int[] row : grid) {
                    assertThat(row).hasSize(4);
                    for (int code : row) {
                        assertThat(code).isBetween(0, 15);
                    }
                }
            }
            assertThat(encoded.vectors().vectors().get(0)).hasSize(8 * 4 * 4);
            List<LoadedModel.Reconstruction> reconstructions = model.reconstruct(images, 0);
            float[][] fromCodes = model.decode(new Latents.CodeGrids(List.of(codes)));
            float[][] fromVectors = model.decode(encoded.vectors());
            for (int i = 0; i < 3; i++) {
                assertThat(grids(reconstructions.get(i).codes())[0]).isDeepEqualTo(codes[i]);
                assertThat(fromCodes[i]).containsExactly(reconstructions.get(i).pixels(), within(1e-5f));
                assertThat(fromVectors[i]).containsExactly(fromCodes[i], within(1e-5f));
                assertThat(reconstructions.get(i).mse()).isLessThan(firstMse);
            }
            int[][] outOfRange = {{0, 0, 0, 0}, {0, 16, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 0}};
            assertThatThrownBy(() -> model.decode(new Latents.CodeGrids(List.<int[][]>of(outOfRange))))
                    .isInstanceOf(InvalidInferenceInputException.class).hasMessageContaining("[0, 16)");
            int[][] wrongSize = {{0, 0, 0}, {0, 0, 0}, {0, 0, 0}};
            assertThatThrownBy(() -> model.decode(new Latents.CodeGrids(List.<int[][]>of(wrongSize))))
                    .isInstanceOf(InvalidInferenceInputException.class).hasMessageContaining("4x4");
            assertThatThrownBy(() -> model.decode(new Latents.GaussianVectors(List.of(new float[8]))))
                    .isInstanceOf(InvalidInferenceInputException.class).hasMessageContaining("code grids");
            assertThatThrownBy(() -> model.sample(new LoadedModel.SampleOptions(2, 1, 1.0, null)))
                    .isInstanceOf(NoPriorException.class).hasMessageContaining("fit-prior");
        }

        // Refit the codebook by k-means over encoder outputs, then fine-tune the decoder a little.
        Path refitted = dir.resolve("refitted");
        java.nio.file.Files.createDirectories(refitted);
        Map<String, Object> options = family.codebookFitOptions(Map.of("iterations", 10, "vectors", 4000, "fineTuneSteps", 20),
                spec.architecture(), SHAPE);
        TrainingSpec fitSpec = new TrainingSpec(SHAPE, options, 1, 32, 1e-3, 5, Device.cpu());
        RecordingMonitor fitting = new RecordingMonitor(new ArrayList<>());
        var codebookFit = family.fitCodebook(dir, spec.architecture(), fitSpec, train, test, fitting, refitted);
        @SuppressWarnings("unchecked")
        Map<String, Object> kmeans = (Map<String, Object>) codebookFit.metrics().get("kmeans");
        assertThat((Double) kmeans.get("finalObjective")).isLessThan((Double) kmeans.get("initialObjective"));
        // The plan: k-means in Lloyd iterations, then the fine-tuning in steps; each step tagged with its phase.
        assertThat(fitting.plans()).hasSize(1);
        assertThat(fitting.plans().getFirst()).extracting(Phase::name, Phase::unit, Phase::epochs)
                .containsExactly(tuple("kmeans", "Lloyd iterations", 1), tuple("fine-tune", "fine-tune steps", 1));
        assertThat(fitting.stepPhases()).containsExactly("kmeans", "fine-tune");
        int lloydIterations = (Integer) kmeans.get("iterations");
        assertThat(fitting.steps("kmeans")).extracting(TrainingMonitor.StepProgress::step)
                .containsExactlyElementsOf(LongStream.rangeClosed(1, lloydIterations).boxed().toList());
        assertThat(fitting.steps("kmeans")).allSatisfy(step -> assertThat(step.stepsPerEpoch()).isEqualTo(10));
        assertThat(fitting.steps("fine-tune")).extracting(TrainingMonitor.StepProgress::step)
                .containsExactlyElementsOf(LongStream.rangeClosed(1, 20).boxed().toList());
        assertThat(fitting.steps("fine-tune")).allSatisfy(step -> assertThat(step.stepsPerEpoch()).isEqualTo(20));
        // Cancelled during the k-means, the fit stops between two Lloyd iterations.
        RecordingMonitor[] cancellingHolder = new RecordingMonitor[1];
        RecordingMonitor cancelling = new RecordingMonitor(new ArrayList<>(), () -> cancellingHolder[0].steps().size() >= 2);
        cancellingHolder[0] = cancelling;
        assertThatThrownBy(() -> family.fitCodebook(dir, spec.architecture(), fitSpec, train, test, cancelling,
                java.nio.file.Files.createDirectories(dir.resolve("cancelled")))).isInstanceOf(TrainingCancelledException.class);
        assertThat(cancelling.steps()).hasSize(2).allSatisfy(step -> assertThat(step.phase()).isEqualTo("kmeans"));
        assertThat(codebookFit.metrics()).containsKeys("before", "afterKmeans", "after", "mseChange", "perplexityChange");
        @SuppressWarnings("unchecked")
        Map<String, Double> after = (Map<String, Double>) codebookFit.metrics().get("after");
        assertThat(after.get("mse")).isLessThan(firstMse);
        try (LoadedModel model = family.load(refitted, SHAPE, codebookFit.architecture(), Device.cpu())) {
            assertThat(grids(model.reconstruct(new float[][] {new float[SHAPE.size()]}, 0).getFirst().codes())[0]).hasNumberOfRows(4);
        }

        // A prior over the code maps: its held-out NLL falls, and the model samples with it.
        Path withPrior = dir.resolve("with-prior");
        java.nio.file.Files.createDirectories(withPrior);
        Map<String, Object> priorArchitecture = family.priorArchitecture(Map.of("channels", 16, "layers", 3, "hidden", 32),
                spec.architecture(), SHAPE);
        List<EpochMetrics> priorEpochs = new ArrayList<>();
        RecordingMonitor priorFitting = new RecordingMonitor(priorEpochs);
        var fit = family.fitPrior(dir, spec.architecture(), new TrainingSpec(SHAPE, priorArchitecture, 3, 32, 3e-3, 5, Device.cpu()),
                train, test, priorFitting, Checkpoints.none(), withPrior);
        assertThat(priorFitting.plans()).containsExactly(List.of(new Phase("prior", "epochs", 3, 1)));
        assertThat(priorFitting.stepPhases()).containsExactly("prior");
        assertThat(priorEpochs).hasSize(3).allSatisfy(epoch -> assertThat(epoch.phase()).isEqualTo("prior"));
        assertThat(fit.result().history()).isEqualTo(priorEpochs);
        assertThat(priorEpochs.getLast().trainTerms()).containsOnlyKeys("nll", "skippedSteps");
        assertThat(priorEpochs.getLast().testTerms()).containsOnlyKeys("nll", "bitsPerCode");
        double uniform = 16 * Math.log(16);
        assertThat(priorEpochs.getFirst().testTerms().get("nll")).isLessThan(uniform);
        assertThat(priorEpochs.getLast().testTerms().get("nll")).isLessThan(priorEpochs.getFirst().testTerms().get("nll"));
        assertThat(priorEpochs.getLast().testTerms().get("bitsPerCode"))
                .isCloseTo(priorEpochs.getLast().testTerms().get("nll") / (16 * Math.log(2)), within(1e-9));
        assertThat(fit.architecture()).containsKey("prior");
        assertThat(family.latentSpec(fit.architecture(), SHAPE)).isEqualTo(new LatentSpec.CodeGrid(16, 8, List.of(4, 4), "gated-pixelcnn"));
        try (LoadedModel model = family.load(withPrior, SHAPE, fit.architecture(), Device.cpu())) {
            LoadedModel.Sampled first = model.sample(new LoadedModel.SampleOptions(4, 7, 1.0, null));
            LoadedModel.Sampled again = model.sample(new LoadedModel.SampleOptions(4, 7, 1.0, null));
            assertThat(grids(first.latents())).isDeepEqualTo(grids(again.latents()));
            assertThat(first.images()).isDeepEqualTo(again.images());
            assertThat(first.images()[0]).hasSize(SHAPE.size());
            // topK = 1 is greedy decoding: the seed no longer matters.
            LoadedModel.Sampled greedy = model.sample(new LoadedModel.SampleOptions(2, 1, 1.0, 1));
            LoadedModel.Sampled greedyOther = model.sample(new LoadedModel.SampleOptions(2, 99, 1.0, 1));
            assertThat(grids(greedy.latents())).isDeepEqualTo(grids(greedyOther.latents()));
            float[][] decoded = model.decode(first.latents());
            assertThat(decoded[0]).containsExactly(first.images()[0], within(1e-5f));
            requestsBatchedTogetherGetWhatEachGetsAlone(model, test);
            // The test set's -log p(codes): one level, so its quantiles are the total's, and the same twice.
            Map<String, List<Double>> quantiles = HeldOutQuantiles.codeQuantiles(HeldOutQuantiles.metrics(model, test));
            assertThat(quantiles).containsOnlyKeys("total", "codes");
            assertThat(quantiles.get("codes")).isEqualTo(quantiles.get("total")).hasSize(101).isSorted();
            assertThat(quantiles.get("total").getFirst()).isPositive();
            assertThat(HeldOutQuantiles.codeQuantiles(HeldOutQuantiles.metrics(model, test))).isEqualTo(quantiles);
        }
    }

    /** Dynamic batching: several callers' requests in one engine call, each answered as if it ran alone. */
    private static void requestsBatchedTogetherGetWhatEachGetsAlone(LoadedModel model, ImageData test) {
        List<LoadedModel.SampleOptions> samples = List.of(new LoadedModel.SampleOptions(2, 7, 1.0, null),
                new LoadedModel.SampleOptions(1, 8, 0.7, 3), new LoadedModel.SampleOptions(2, 9, 1.0, null));
        List<LoadedModel.Sampled> sampled = model.sample(samples);
        for (int r = 0; r < samples.size(); r++) {
            LoadedModel.Sampled alone = model.sample(samples.get(r));
            assertThat(grids(sampled.get(r).latents())).isDeepEqualTo(grids(alone.latents()));
            Rows.assertClose(sampled.get(r).images(), alone.images());
        }
        float[][] images = new float[4][SHAPE.size()];
        for (int i = 0; i < 4; i++) {
            test.copyImage(i, images[i], 0);
        }
        float[][] firstTwo = {images[0], images[1]};
        float[][] lastTwo = {images[2], images[3]};
        List<LoadedModel.EncodeCall> encodes = List.of(
                new LoadedModel.EncodeCall(firstTwo, new LoadedModel.EncodeOptions(false, 0, true)),
                new LoadedModel.EncodeCall(lastTwo, new LoadedModel.EncodeOptions(false, 0, false)));
        List<LoadedModel.Encoded> encoded = model.encode(encodes);
        LoadedModel.Encoded firstAlone = model.encode(firstTwo, encodes.get(0).options());
        assertThat(grids(encoded.get(0).latents())).isDeepEqualTo(grids(firstAlone.latents()));
        Rows.assertClose(encoded.get(0).vectors().vectors().toArray(float[][]::new), firstAlone.vectors().vectors().toArray(float[][]::new));
        assertThat(grids(encoded.get(1).latents())).isDeepEqualTo(grids(model.encode(lastTwo, encodes.get(1).options()).latents()));
        assertThat(encoded.get(1).vectors()).as("only asked for by the first request").isNull();
        // Code grids and unquantised vectors decode in the same batch.
        List<Latents> decodes = List.of(sampled.get(0).latents(), firstAlone.vectors());
        List<float[][]> decoded = model.decode(decodes);
        for (int r = 0; r < decodes.size(); r++) {
            Rows.assertClose(decoded.get(r), model.decode(decodes.get(r)));
        }
        List<List<LoadedModel.Reconstruction>> reconstructed = model.reconstruct(
                List.of(new LoadedModel.ReconstructCall(firstTwo, 0), new LoadedModel.ReconstructCall(lastTwo, 0)));
        List<LoadedModel.Reconstruction> lastAlone = model.reconstruct(lastTwo, 0);
        for (int i = 0; i < 2; i++) {
            assertThat(grids(reconstructed.get(1).get(i).codes())).isDeepEqualTo(grids(lastAlone.get(i).codes()));
            assertThat(reconstructed.get(1).get(i).pixels()).containsExactly(lastAlone.get(i).pixels(), within(Rows.TOLERANCE));
        }
    }

    @Test
    void aKmeansInitialisedCodebookStartsWhereTheDataIs(@TempDir Path dir) throws Exception {
        ImageData train = SyntheticImages.blobs(SHAPE, 512, 1);
        Map<String, Object> architecture = new java.util.HashMap<>(SMALL);
        architecture.put("codebookInit", "kmeans");
        TrainingSpec spec = new TrainingSpec(SHAPE, family.architecture(architecture, SHAPE), 1, 32, 2e-3, 3, Device.cpu());
        List<EpochMetrics> epochs = new ArrayList<>();
        family.train(spec, train, train, new RecordingMonitor(epochs), Checkpoints.none(), dir);
        Map<String, Object> randomInit = new java.util.HashMap<>(SMALL);
        List<EpochMetrics> randomEpochs = new ArrayList<>();
        family.train(new TrainingSpec(SHAPE, family.architecture(randomInit, SHAPE), 1, 32, 2e-3, 3, Device.cpu()), train, train,
                new RecordingMonitor(randomEpochs), Checkpoints.none(), dir.resolve("random"));
        // Random codes far from the data die and are restarted; codes placed by k-means on encoder outputs do not.
        assertThat(epochs.getFirst().trainTerms().get("deadCodeRestarts"))
                .isLessThan(randomEpochs.getFirst().trainTerms().get("deadCodeRestarts"));
        assertThat(family.architecture(architecture, SHAPE)).containsEntry("codebookInit", "kmeans");
    }

    @Test
    void theCodebookLossVariantTrainsToo(@TempDir Path dir) throws Exception {
        ImageData train = SyntheticImages.blobs(SHAPE, 256, 1);
        Map<String, Object> architecture = new java.util.HashMap<>(SMALL);
        architecture.put("codebook", "loss");
        TrainingSpec spec = new TrainingSpec(SHAPE, family.architecture(architecture, SHAPE), 2, 32, 2e-3, 3, Device.cpu());
        List<EpochMetrics> epochs = new ArrayList<>();
        family.train(spec, train, train, new RecordingMonitor(epochs), Checkpoints.none(), dir);
        assertThat(epochs).hasSize(2).allSatisfy(e -> assertThat(e.testLoss()).isFinite());
        assertThat(epochs.getLast().testTerms().get("mse")).isLessThan(epochs.getFirst().testTerms().get("mse"));
    }

    @Test
    void architecturesThatDoNotFitAreRefused() {
        assertThatThrownBy(() -> family.architecture(Map.of("downsamplings", 3), new ImageShape(1, 28, 28)))
                .isInstanceOf(InvalidArchitectureException.class).hasMessageContaining("divisible by 8");
        assertThatThrownBy(() -> family.architecture(Map.of("codebook", "kmeans-ish"), SHAPE))
                .isInstanceOf(InvalidArchitectureException.class).hasMessageContaining("'ema' or 'loss'");
        assertThatThrownBy(() -> family.architecture(Map.of("codes", 1), SHAPE))
                .isInstanceOf(InvalidArchitectureException.class).hasMessageContaining("codes");
        assertThat(family.architecture(Map.of(), new ImageShape(1, 28, 28)))
                .containsEntry("codes", 64).containsEntry("codeDim", 32).containsEntry("beta", 0.25).containsEntry("decay", 0.99);
    }


    private static int[][][] grids(Latents latents) {
        return ((Latents.CodeGrids) latents).grids().toArray(int[][][]::new);
    }
}
