package dev.latentserve.family.vqvae2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import dev.latentserve.family.Checkpoints;
import dev.latentserve.family.EpochMetrics;
import dev.latentserve.family.HeldOutQuantiles;
import dev.latentserve.family.HeldOutScoring;
import dev.latentserve.family.InvalidInferenceInputException;
import dev.latentserve.family.LoadedModel;
import dev.latentserve.family.LatentSpec;
import dev.latentserve.family.Latents;
import dev.latentserve.family.Latents.CodeHierarchy;
import dev.latentserve.family.NoPriorException;
import dev.latentserve.family.PriorFitting;
import dev.latentserve.family.Scoring;
import dev.latentserve.family.TrainingMonitor.Phase;
import dev.latentserve.family.TrainingSpec;
import dev.latentserve.image.ImageData;
import dev.latentserve.image.ImageShape;
import dev.latentserve.testing.RecordingMonitor;
import dev.latentserve.testing.Rows;
import dev.latentserve.testing.SyntheticImages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VqVae2FamilyTests {

    private static final ImageShape SHAPE = new ImageShape(1, 28, 28);
    private static final Map<String, Object> SMALL = Map.of("hiddenChannels", 16, "residualChannels", 8, "residualBlocks", 1,
            "topCodes", 8, "topCodeDim", 8, "bottomCodes", 16, "bottomCodeDim", 8);
    private static final Map<String, Object> TOP = Map.of("channels", 8, "layers", 2, "hidden", 16, "attentionEvery", 1,
            "heads", 2, "dropout", 0.1);
    private static final Map<String, Object> BOTTOM = Map.of("channels", 8, "layers", 3, "hidden", 16, "conditionChannels", 8,
            "conditionBlocks", 1);

    private final VqVae2Family family = new VqVae2Family();

    @Test
    void trainsBothLevelsFitsEachPriorAndServesTheHierarchy(@TempDir Path dir) throws Exception {
        ImageData train = SyntheticImages.blobs(SHAPE, 512, 1);
        ImageData test = SyntheticImages.blobs(SHAPE, 96, 2);
        TrainingSpec spec = new TrainingSpec(SHAPE, family.architecture(SMALL, SHAPE), 3, 32, 2e-3, 3, Device.cpu());
        List<EpochMetrics> epochs = new ArrayList<>();
        family.train(spec, train, test, new RecordingMonitor(epochs), Checkpoints.none(), dir);

        double firstMse = epochs.getFirst().testTerms().get("mse");
        assertThat(epochs.getLast().testTerms().get("mse")).isLessThan(firstMse * 0.8);
        assertThat(epochs.getLast().testTerms()).containsKeys("commitment", "topPerplexity", "bottomPerplexity", "topUsedCodes",
                "bottomUsedCodes");
        assertThat(epochs.getLast().testTerms().get("bottomUsedCodes")).isGreaterThan(2.0);
        LatentSpec.CodeHierarchy latent = (LatentSpec.CodeHierarchy) family.latentSpec(spec.architecture(), SHAPE);
        assertThat(latent.prior()).isEqualTo("none");
        assertThat(latent.sampling()).isEqualTo(LatentSpec.Sampling.NEEDS_PRIOR);
        assertThat(latent.levelNames()).containsExactly("top", "bottom");
        assertThat(latent.padding()).isEqualTo(Map.of("top", 2, "bottom", 2, "left", 2, "right", 2));

        float[][] images = new float[3][SHAPE.size()];
        for (int i = 0; i < 3; i++) {
            test.copyImage(i, images[i], 0);
        }
        try (LoadedModel model = family.load(dir, SHAPE, spec.architecture(), Device.cpu())) {
            CodeHierarchy codes = (CodeHierarchy) model.encode(images, new LoadedModel.EncodeOptions(false, 0, false)).latents();
            assertThat(codes.level("top")).hasSize(3);
            assertThat(codes.level("top").get(0)).hasNumberOfRows(4);
            assertThat(codes.level("top").get(0)[0]).hasSize(4);
            assertThat(codes.level("bottom").get(0)).hasNumberOfRows(8);
            assertThat(codes.level("bottom").get(0)[0]).hasSize(8);
            List<LoadedModel.Reconstruction> reconstructions = model.reconstruct(images, 0);
            float[][] decoded = model.decode(codes);
            for (int i = 0; i < 3; i++) {
                CodeHierarchy own = (CodeHierarchy) reconstructions.get(i).codes();
                assertThat(own.level("top").getFirst()).isDeepEqualTo(codes.level("top").get(i));
                assertThat(own.level("bottom").getFirst()).isDeepEqualTo(codes.level("bottom").get(i));
                assertThat(decoded[i]).hasSize(SHAPE.size()).containsExactly(reconstructions.get(i).pixels(), within(1e-5f));
            }
            List<int[][]> outOfRange = new ArrayList<>(codes.level("bottom"));
            outOfRange.set(1, new int[8][8]);
            outOfRange.get(1)[3][3] = 16;
            assertThatThrownBy(() -> model.decode(levels(codes.level("top"), outOfRange)))
                    .isInstanceOf(InvalidInferenceInputException.class).hasMessageContaining("codes.bottom[1] holds code 16");
            assertThatThrownBy(() -> model.decode(levels(List.<int[][]>of(new int[3][4]), List.<int[][]>of(new int[8][8]))))
                    .isInstanceOf(InvalidInferenceInputException.class).hasMessageContaining("4x4");
            assertThatThrownBy(() -> model.decode(new Latents.CodeGrids(List.<int[][]>of(new int[8][8]))))
                    .isInstanceOf(InvalidInferenceInputException.class).hasMessageContaining("both levels");
            assertThatThrownBy(() -> model.sample(new LoadedModel.SampleOptions(1, 1, 1.0, null)))
                    .isInstanceOf(NoPriorException.class).hasMessageContaining("top or bottom");
        }

        // The top prior alone: a version that still cannot sample, for want of the bottom prior.
        Path topOnly = Files.createDirectories(dir.resolve("top-only"));
        PriorFitting.PriorFit topFit = fit(dir, spec.architecture(), Map.of("levels", List.of("top"), "top", TOP), train, test,
                topOnly, "topNll");
        LatentSpec.CodeHierarchy topOnlyLatent = (LatentSpec.CodeHierarchy) family.latentSpec(topFit.architecture(), SHAPE);
        assertThat(topOnlyLatent.prior()).isEqualTo("none");
        assertThat(topOnlyLatent.priorLevels()).containsExactly("top");
        try (LoadedModel model = family.load(topOnly, SHAPE, topFit.architecture(), Device.cpu())) {
            assertThatThrownBy(() -> model.sample(new LoadedModel.SampleOptions(1, 1, 1.0, null)))
                    .isInstanceOf(NoPriorException.class).hasMessageContaining("no bottom prior").hasMessageContaining("[\"bottom\"]");
            // /score refuses it too (409), so its manifest gets no test quantiles.
            assertThat(HeldOutQuantiles.metrics(model, test)).isEmpty();
        }
        // Then the bottom prior, keeping the top one: the version samples.
        Path both = Files.createDirectories(dir.resolve("both"));
        PriorFitting.PriorFit bottomFit = fit(topOnly, topFit.architecture(), Map.of("levels", List.of("bottom"), "bottom", BOTTOM),
                train, test, both, "bottomNll");
        assertThat(((LatentSpec.CodeHierarchy) family.latentSpec(bottomFit.architecture(), SHAPE)).prior()).isEqualTo("vqvae2-priors");
        assertThat(family.latentSpec(bottomFit.architecture(), SHAPE).sampling()).isEqualTo(LatentSpec.Sampling.AUTOREGRESSIVE);
        try (LoadedModel model = family.load(both, SHAPE, bottomFit.architecture(), Device.cpu())) {
            LoadedModel.Sampled first = model.sample(new LoadedModel.SampleOptions(3, 7, 1.0, null));
            assertThat(model.sample(new LoadedModel.SampleOptions(3, 7, 1.0, null)).latents()).usingRecursiveComparison()
                    .isEqualTo(first.latents());
            assertThat(first.images()).hasNumberOfRows(3);
            assertThat(first.images()[0]).hasSize(SHAPE.size());
            float[][] decoded = model.decode(first.latents());
            Rows.assertClose(decoded, first.images());
            // A cold bottom level only: greedy bottom codes, whatever the seed, under the same top codes.
            LoadedModel.SampleOptions greedyBottom = new LoadedModel.SampleOptions(2, 5, 1.0, null, Map.of("bottom", 1e-6));
            LoadedModel.Sampled one = model.sample(greedyBottom);
            assertThat(((CodeHierarchy) one.latents()).level("bottom")).hasSize(2);
            requestsBatchedTogetherGetWhatEachGetsAlone(model, images);
            heldOutQuantilesAreThoseOfEachImagesScoreAndRepeat(model, test);
        }

        // Both levels in one job: the plan announces the top prior, then the bottom one, weighted by their expected cost,
        // and the history keeps each level's epochs apart under its own phase.
        Path together = Files.createDirectories(dir.resolve("together"));
        Map<String, Object> request = family.priorArchitecture(Map.of("top", TOP, "bottom", BOTTOM), spec.architecture(), SHAPE);
        RecordingMonitor fitting = new RecordingMonitor(new ArrayList<>());
        PriorFitting.PriorFit atOnce = family.fitPrior(dir, spec.architecture(), new TrainingSpec(SHAPE, request, 2, 32, 3e-3, 5,
                Device.cpu()), train, test, fitting, Checkpoints.none(), together);
        assertThat(fitting.plans()).hasSize(1);
        List<Phase> plan = fitting.plans().getFirst();
        assertThat(plan).extracting(Phase::name, Phase::unit, Phase::epochs)
                .containsExactly(tuple("top", "epochs", 2), tuple("bottom", "epochs", 2));
        assertThat(plan.get(1).weight()).isGreaterThan(plan.get(0).weight());
        assertThat(fitting.stepPhases()).containsExactly("top", "bottom");
        assertThat(fitting.epochs()).extracting(EpochMetrics::phase, EpochMetrics::epoch)
                .containsExactly(tuple("top", 1), tuple("top", 2), tuple("bottom", 1), tuple("bottom", 2));
        assertThat(atOnce.result().history()).isEqualTo(fitting.epochs());
        EpochMetrics last = atOnce.result().last();
        assertThat(last.phase()).isNull();
        assertThat(last.testTerms()).containsKeys("nll", "topNll", "topBitsPerCode", "bottomNll", "bottomBitsPerCode");
        assertThat(last.testTerms().get("nll")).isCloseTo(last.testTerms().get("topNll") + last.testTerms().get("bottomNll"),
                within(1e-9));
        assertThat(last.testLoss()).isCloseTo(fitting.epochs().get(1).testLoss() + fitting.epochs().get(3).testLoss(), within(1e-9));
    }

    private PriorFitting.PriorFit fit(Path base, Map<String, Object> architecture, Map<String, Object> request, ImageData train,
            ImageData test, Path out, String term) throws Exception {
        Map<String, Object> priors = family.priorArchitecture(request, architecture, SHAPE);
        List<EpochMetrics> epochs = new ArrayList<>();
        PriorFitting.PriorFit fit = family.fitPrior(base, architecture, new TrainingSpec(SHAPE, priors, 3, 32, 3e-3, 5, Device.cpu()),
                train, test, new RecordingMonitor(epochs), Checkpoints.none(), out);
        String bits = term.replace("Nll", "BitsPerCode");
        assertThat(epochs.getLast().testTerms()).containsKeys(term, bits, "nll");
        assertThat(epochs.getLast().testTerms().get(term)).isLessThan(epochs.getFirst().testTerms().get(term));
        double uniform = term.startsWith("top") ? Math.log(8) / Math.log(2) : Math.log(16) / Math.log(2);
        assertThat(epochs.getLast().testTerms().get(bits)).isLessThan(uniform);
        return fit;
    }

    /** Dynamic batching: several callers' requests in one engine call, each answered as if it ran alone. */
    /**
     * With both priors, the test set's quantiles of -log p(codes) in total and per level: exact, so the same version
     * and images give the same numbers, and equal to the quantiles of what /score answers image by image.
     */
    private static void heldOutQuantilesAreThoseOfEachImagesScoreAndRepeat(LoadedModel model, ImageData test) {
        Map<String, List<Double>> quantiles = HeldOutQuantiles.codeQuantiles(HeldOutQuantiles.metrics(model, test));
        assertThat(quantiles).containsOnlyKeys("total", "top", "bottom");
        assertThat(HeldOutQuantiles.codeQuantiles(HeldOutQuantiles.metrics(model, test))).isEqualTo(quantiles);
        double[] totals = new double[test.count()];
        double[] tops = new double[test.count()];
        for (int i = 0; i < test.count(); i++) {
            float[] image = new float[SHAPE.size()];
            test.copyImage(i, image, 0);
            Scoring.CodeLikelihood alone = (Scoring.CodeLikelihood) ((Scoring) model).score(List.of(new Scoring.ScoreCall(
                    new float[][] {image}, new Scoring.ScoreOptions(1, 1, 99)))).getFirst().getFirst();
            totals[i] = alone.total();
            tops[i] = alone.levels().get("top");
        }
        // Alone or in a batch of 96 the priors' float32 sums differ in the last bits only.
        assertThat(doubles(quantiles.get("total"))).containsExactly(doubles(HeldOutScoring.quantiles(totals)), within(1e-3));
        assertThat(doubles(quantiles.get("top"))).containsExactly(doubles(HeldOutScoring.quantiles(tops)), within(1e-3));
        assertThat(quantiles.get("total").getFirst()).isPositive();
    }

    private static double[] doubles(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static void requestsBatchedTogetherGetWhatEachGetsAlone(LoadedModel model, float[][] images) {
        List<LoadedModel.SampleOptions> samples = List.of(new LoadedModel.SampleOptions(2, 7, 1.0, null),
                new LoadedModel.SampleOptions(1, 8, 0.7, 3, Map.of("top", 0.5)), new LoadedModel.SampleOptions(2, 9, 1.0, null));
        List<LoadedModel.Sampled> sampled = model.sample(samples);
        for (int r = 0; r < samples.size(); r++) {
            LoadedModel.Sampled alone = model.sample(samples.get(r));
            assertThat(sampled.get(r).latents()).usingRecursiveComparison().isEqualTo(alone.latents());
            Rows.assertClose(sampled.get(r).images(), alone.images());
        }
        float[][] firstTwo = {images[0], images[1]};
        float[][] last = {images[2]};
        List<LoadedModel.Encoded> encoded = model.encode(List.of(
                new LoadedModel.EncodeCall(firstTwo, new LoadedModel.EncodeOptions(false, 0, false)),
                new LoadedModel.EncodeCall(last, new LoadedModel.EncodeOptions(false, 0, false))));
        assertThat(encoded.get(1).latents()).usingRecursiveComparison()
                .isEqualTo(model.encode(last, new LoadedModel.EncodeOptions(false, 0, false)).latents());
        List<Latents> decodes = List.of(sampled.get(0).latents(), encoded.get(1).latents());
        List<float[][]> decoded = model.decode(decodes);
        for (int r = 0; r < decodes.size(); r++) {
            Rows.assertClose(decoded.get(r), model.decode(decodes.get(r)));
        }
    }

    private static CodeHierarchy levels(List<int[][]> top, List<int[][]> bottom) {
        return new CodeHierarchy(new java.util.LinkedHashMap<>(Map.of("top", top, "bottom", bottom)));
    }
}
