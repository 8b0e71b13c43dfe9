package dev.latentserve.family.vae;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import dev.latentserve.family.Checkpoints;
import dev.latentserve.family.EpochMetrics;
import dev.latentserve.family.InvalidArchitectureException;
import dev.latentserve.family.Latents;
import dev.latentserve.family.Latents.GaussianPosteriors.Posterior;
import dev.latentserve.family.LoadedModel;
import dev.latentserve.family.ModelUnloadedException;
import dev.latentserve.family.TrainingCancelledException;
import dev.latentserve.family.TrainingMonitor;
import dev.latentserve.family.TrainingResult;
import dev.latentserve.family.TrainingSpec;
import dev.latentserve.image.ImageData;
import dev.latentserve.image.ImageShape;
import dev.latentserve.nn.Elbo;
import dev.latentserve.nn.TorchDefaultInit;
import dev.latentserve.testing.RecordingMonitor;
import dev.latentserve.testing.Rows;
import dev.latentserve.testing.SyntheticImages;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VaeFamilyTests {

    private static final ImageShape SHAPE = new ImageShape(1, 16, 16);
    private static final Map<String, Object> SMALL = Map.of("channels", List.of(8, 16), "hiddenDim", 64, "latentDim", 4);

    private final VaeFamily family = new VaeFamily();

    @Test
    void negativeElboFallsOnASmallSyntheticSetAndTheModelReloadsIdentically(@TempDir Path dir) throws Exception {
        ImageData train = SyntheticImages.blobs(SHAPE, 2048, 1);
        ImageData test = SyntheticImages.blobs(SHAPE, 128, 2);
        List<EpochMetrics> epochs = new ArrayList<>();
        TrainingSpec spec = new TrainingSpec(SHAPE, family.architecture(SMALL, SHAPE), 6, 32, 3e-3, 7, Device.cpu());
        TrainingResult result = family.train(spec, train, test, new RecordingMonitor(epochs), Checkpoints.none(), dir);

        assertThat(epochs).hasSize(6);
        assertThat(epochs.getLast().testLoss()).isLessThan(epochs.getFirst().testLoss() * 0.9);
        assertThat(epochs.getLast().trainLoss()).isLessThan(epochs.getFirst().trainLoss());
        assertThat(epochs.getLast().testTerms()).containsKeys("reconstruction", "kl");
        assertThat(result.parameterCount()).isPositive();

        try (LoadedModel model = family.load(dir, SHAPE, spec.architecture(), Device.cpu())) {
            LoadedModel.Sampled first = model.sample(new LoadedModel.SampleOptions(3, 42, 1.0, null));
            LoadedModel.Sampled again = model.sample(new LoadedModel.SampleOptions(3, 42, 1.0, null));
            assertThat(first.images()).isDeepEqualTo(again.images());
            assertThat(model.sample(new LoadedModel.SampleOptions(3, 43, 1.0, null)).images()[0]).isNotEqualTo(first.images()[0]);
            assertThat(first.images()[0]).hasSize(SHAPE.size());
            for (float v : first.images()[0]) {
                assertThat(v).isBetween(0f, 1f);
            }
            float[][] decoded = model.decode(first.latents());
            assertThat(decoded).isDeepEqualTo(first.images());
            // Reconstructions of held-out blobs are at least twice as close as a blank image.
            float[][] images = new float[4][SHAPE.size()];
            for (int i = 0; i < 4; i++) {
                test.copyImage(i, images[i], 0);
            }
            List<LoadedModel.Reconstruction> reconstructions = model.reconstruct(images, 0);
            for (int i = 0; i < 4; i++) {
                double blankMse = 0;
                for (float v : images[i]) {
                    blankMse += v * v;
                }
                blankMse /= images[i].length;
                assertThat(reconstructions.get(i).mse()).isLessThan(0.5 * blankMse);
                assertThat(reconstructions.get(i).negativeElbo()).isPositive();
            }
            requestsBatchedTogetherGetWhatEachGetsAlone(model, images);
        }
        LoadedModel deleted = family.load(dir, SHAPE, spec.architecture(), Device.cpu());
        deleted.close();
        assertThatThrownBy(() -> deleted.sample(new LoadedModel.SampleOptions(1, 1, 1.0, null)))
                .as("a request that reaches a deleted version").isInstanceOf(ModelUnloadedException.class);
    }

    /** Dynamic batching: several callers' requests in one engine call, each answered as if it ran alone. */
    private static void requestsBatchedTogetherGetWhatEachGetsAlone(LoadedModel model, float[][] images) {
        List<LoadedModel.SampleOptions> samples = List.of(new LoadedModel.SampleOptions(2, 5, 1.0, null),
                new LoadedModel.SampleOptions(1, 6, 0.5, null), new LoadedModel.SampleOptions(3, 7, 1.0, null));
        List<LoadedModel.Sampled> sampled = model.sample(samples);
        for (int r = 0; r < samples.size(); r++) {
            LoadedModel.Sampled alone = model.sample(samples.get(r));
            Rows.assertClose(z(sampled.get(r)), z(alone));
            Rows.assertClose(sampled.get(r).images(), alone.images());
        }
        float[][] firstTwo = {images[0], images[1]};
        float[][] lastTwo = {images[2], images[3]};
        List<LoadedModel.EncodeCall> encodes = List.of(
                new LoadedModel.EncodeCall(firstTwo, new LoadedModel.EncodeOptions(false, 0, false)),
                new LoadedModel.EncodeCall(lastTwo, new LoadedModel.EncodeOptions(true, 11, false)));
        List<LoadedModel.Encoded> encoded = model.encode(encodes);
        for (int r = 0; r < encodes.size(); r++) {
            List<Posterior> batched = posteriors(encoded.get(r));
            List<Posterior> alone = posteriors(model.encode(encodes.get(r).images(), encodes.get(r).options()));
            Rows.assertClose(batched.stream().map(Posterior::z).toArray(float[][]::new),
                    alone.stream().map(Posterior::z).toArray(float[][]::new));
            Rows.assertClose(batched.stream().map(Posterior::logVariance).toArray(float[][]::new),
                    alone.stream().map(Posterior::logVariance).toArray(float[][]::new));
        }
        assertThat(posteriors(encoded.get(0)).get(0).z()).as("no draw asked: z is the mean")
                .isEqualTo(posteriors(encoded.get(0)).get(0).mean());
        assertThat(posteriors(encoded.get(1)).get(0).z()).as("a draw from q(z|x)")
                .isNotEqualTo(posteriors(encoded.get(1)).get(0).mean());
        List<Latents> decodes = List.of(sampled.get(0).latents(), sampled.get(2).latents());
        List<float[][]> decoded = model.decode(decodes);
        for (int r = 0; r < decodes.size(); r++) {
            Rows.assertClose(decoded.get(r), model.decode(decodes.get(r)));
        }
        List<LoadedModel.ReconstructCall> reconstructs = List.of(new LoadedModel.ReconstructCall(firstTwo, 3),
                new LoadedModel.ReconstructCall(lastTwo, 4));
        List<List<LoadedModel.Reconstruction>> reconstructed = model.reconstruct(reconstructs);
        for (int r = 0; r < reconstructs.size(); r++) {
            List<LoadedModel.Reconstruction> alone = model.reconstruct(reconstructs.get(r).images(), reconstructs.get(r).seed());
            for (int i = 0; i < alone.size(); i++) {
                assertThat(reconstructed.get(r).get(i).pixels()).containsExactly(alone.get(i).pixels(), within(Rows.TOLERANCE));
                assertThat(reconstructed.get(r).get(i).negativeElbo()).isCloseTo(alone.get(i).negativeElbo(), within(1e-3));
            }
        }
    }

    @Test
    void cancellationStopsTrainingAtTheNextStep(@TempDir Path dir) {
        ImageData train = SyntheticImages.blobs(SHAPE, 256, 1);
        TrainingSpec spec = new TrainingSpec(SHAPE, family.architecture(SMALL, SHAPE), 50, 16, 1e-3, 7, Device.cpu());
        int[] steps = {0};
        assertThatThrownBy(() -> family.train(spec, train, train, new TrainingMonitor() {
            @Override
            public void onStep(StepProgress progress) {
                steps[0]++;
            }

            @Override
            public void onEpoch(EpochMetrics metrics) {
            }

            @Override
            public boolean isCancelled() {
                return steps[0] >= 3;
            }
        }, Checkpoints.none(), dir)).isInstanceOf(TrainingCancelledException.class);
        assertThat(steps[0]).isEqualTo(3);
    }

    @Test
    void aRunResumedFromItsCheckpointEndsWhereAnUninterruptedRunEnds(@TempDir Path dir) throws Exception {
        ImageData train = SyntheticImages.blobs(SHAPE, 256, 4);
        TrainingSpec spec = new TrainingSpec(SHAPE, family.architecture(SMALL, SHAPE), 3, 32, 3e-3, 11, Device.cpu());
        List<EpochMetrics> straight = new ArrayList<>();
        family.train(spec, train, train, new RecordingMonitor(straight), Checkpoints.none(), dir.resolve("straight"));

        InMemoryCheckpoints checkpoints = new InMemoryCheckpoints(dir.resolve("checkpoints"), 5);
        int[] steps = {0};
        List<EpochMetrics> first = new ArrayList<>();
        // 8 steps per epoch: stop in epoch 2 after 12 steps; the newest checkpoint is at global step 10.
        assertThatThrownBy(() -> family.train(spec, train, train, new RecordingMonitor(first, () -> ++steps[0] > 12), checkpoints,
                dir.resolve("a"))).isInstanceOf(TrainingCancelledException.class);
        assertThat(checkpoints.saved).contains(5L, 8L, 10L);

        List<EpochMetrics> resumed = new ArrayList<>();
        long[] resumedAt = {-1, -1};
        List<List<TrainingMonitor.Phase>> plans = new ArrayList<>();
        TrainingResult result = family.train(spec, train, train, new TrainingMonitor() {
            @Override
            public void onPlan(List<Phase> phases) {
                assertThat(resumedAt[0]).as("the plan comes before the resume").isEqualTo(-1);
                plans.add(phases);
            }

            @Override
            public void onResume(int epoch, long stepInEpoch, List<EpochMetrics> history) {
                resumedAt[0] = epoch;
                resumedAt[1] = stepInEpoch;
                resumed.addAll(history);
            }

            @Override
            public void onStep(StepProgress progress) {
            }

            @Override
            public void onEpoch(EpochMetrics metrics) {
                resumed.add(metrics);
            }

            @Override
            public boolean isCancelled() {
                return false;
            }
        }, checkpoints, dir.resolve("b"));
        assertThat(resumedAt).containsExactly(2, 2);
        assertThat(plans).containsExactly(List.of(new TrainingMonitor.Phase("train", "epochs", 3, 1)));
        assertThat(result.history()).hasSize(3).allSatisfy(epoch -> assertThat(epoch.phase()).isEqualTo("train"));
        // Same data order, noise, parameters and Adam moments: the same losses up to float rounding.
        for (int e = 0; e < 3; e++) {
            assertThat(result.history().get(e).testLoss()).isCloseTo(straight.get(e).testLoss(),
                    org.assertj.core.api.Assertions.within(straight.get(e).testLoss() * 1e-3));
        }
    }

    /** Checkpoints in a folder, newest by step number; records which steps were saved. */
    private static final class InMemoryCheckpoints implements Checkpoints {
        private final Path root;
        private final long every;
        private final List<Long> saved = new ArrayList<>();

        InMemoryCheckpoints(Path root, long every) {
            this.root = root;
            this.every = every;
        }

        @Override
        public java.util.Optional<Path> latest() {
            return saved.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(root.resolve(Long.toString(saved.getLast())));
        }

        @Override
        public void save(long globalStep, Writer writer) throws java.io.IOException {
            Path folder = root.resolve(Long.toString(globalStep));
            java.nio.file.Files.createDirectories(folder);
            writer.write(folder);
            saved.add(globalStep);
        }

        @Override
        public long everySteps() {
            return every;
        }
    }

    @Test
    void gradientsReachEveryEncoderParameterThroughTheSample() {
        ConvVae vae = new ConvVae(SHAPE, VaeArchitecture.from(SMALL, SHAPE));
        try (NDManager manager = NDManager.newBaseManager()) {
            vae.initialize(manager, DataType.FLOAT32, new Shape(2, 1, 16, 16), new Shape(2, 4));
            TorchDefaultInit.apply(vae, 1);
            for (Pair<String, Parameter> p : vae.getParameters()) {
                p.getValue().getArray().setRequiresGradient(true);
            }
            NDArray x = manager.randomUniform(0, 1, new Shape(2, 1, 16, 16));
            NDArray eps = manager.randomNormal(new Shape(2, 4));
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDList out = vae.forward(new ParameterStore(manager, false), new NDList(x, eps), true);
                // Only the reconstruction term: encoder gradients must flow through z = mu + sigma * eps alone.
                collector.backward(vae.reconstructionNll(out.get(0), x).sum());
            }
            for (Pair<String, Parameter> p : vae.getParameters()) {
                assertThat(p.getValue().getArray().getGradient().abs().sum().getFloat())
                        .as("gradient of %s", p.getKey()).isPositive();
            }
        }
    }

    @Test
    void architectureThatDoesNotFitTheInputIsRefused() {
        assertThatThrownBy(() -> family.architecture(Map.of("channels", List.of(8, 8, 8, 8, 8)), SHAPE))
                .isInstanceOf(InvalidArchitectureException.class).hasMessageContaining("divisible by 32");
        assertThatThrownBy(() -> family.architecture(Map.of("latentDim", 0), SHAPE))
                .isInstanceOf(InvalidArchitectureException.class).hasMessageContaining("latentDim");
        assertThatThrownBy(() -> family.architecture(Map.of("likelihood", "poisson"), SHAPE))
                .isInstanceOf(InvalidArchitectureException.class).hasMessageContaining("bernoulli");
        assertThatThrownBy(() -> family.architecture(Map.of("depth", 3), SHAPE))
                .isInstanceOf(InvalidArchitectureException.class).hasMessageContaining("unknown");
        assertThat(family.architecture(Map.of(), new ImageShape(3, 32, 32))).containsEntry("latentDim", 16);
    }

    @Test
    void rgbImagesWithAGaussianLikelihoodTrain(@TempDir Path dir) throws Exception {
        ImageShape rgb = new ImageShape(3, 32, 32);
        ImageData data = SyntheticImages.blobs(rgb, 64, 3);
        Map<String, Object> arch = family.architecture(Map.of("channels", List.of(8, 16, 16), "hiddenDim", 32, "latentDim", 4,
                "likelihood", "gaussian", "sigma", 0.2), rgb);
        List<EpochMetrics> epochs = new ArrayList<>();
        family.train(new TrainingSpec(rgb, arch, 2, 16, 1e-3, 1, Device.cpu()), data, data, new RecordingMonitor(epochs),
                Checkpoints.none(), dir);
        assertThat(epochs).hasSize(2).allSatisfy(e -> assertThat(e.testLoss()).isFinite());
        try (LoadedModel model = family.load(dir, rgb, arch, Device.cpu())) {
            assertThat(model.sample(new LoadedModel.SampleOptions(2, 1, 0.5, null)).images()[0]).hasSize(rgb.size());
        }
    }


    private static float[][] z(LoadedModel.Sampled sampled) {
        return ((Latents.GaussianVectors) sampled.latents()).vectors().toArray(float[][]::new);
    }

    private static List<Posterior> posteriors(LoadedModel.Encoded encoded) {
        return ((Latents.GaussianPosteriors) encoded.latents()).posteriors();
    }
}
