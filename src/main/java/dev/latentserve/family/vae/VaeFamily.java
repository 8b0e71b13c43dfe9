package dev.latentserve.family.vae;

import static dev.latentserve.family.TrainingLoop.imageBatch;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import dev.latentserve.family.Checkpoints;
import dev.latentserve.family.DjlModels;
import dev.latentserve.family.HeldOutQuantiles;
import dev.latentserve.family.HeldOutScoring;
import dev.latentserve.family.LatentSpec;
import dev.latentserve.family.LoadedModel;
import dev.latentserve.family.ModelFamily;
import dev.latentserve.family.Scoring;
import dev.latentserve.family.TrainingLoop;
import dev.latentserve.family.TrainingMonitor;
import dev.latentserve.family.TrainingResult;
import dev.latentserve.family.TrainingRun;
import dev.latentserve.family.TrainingSpec;
import dev.latentserve.image.ImageData;
import dev.latentserve.image.ImageShape;
import dev.latentserve.nn.Adam;
import dev.latentserve.nn.Elbo;
import dev.latentserve.nn.Scoped;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.springframework.stereotype.Component;

/**
 * The convolutional VAE family: trains with Adam on the negative ELBO (in {@link TrainingLoop}) and serves
 * {@link VaeModel}s.
 */
@Component
public final class VaeFamily implements ModelFamily, HeldOutScoring {

    static final String NAME = "vae";
    static final String PARAMETERS_PREFIX = "vae";
    static final String RECONSTRUCTION = "reconstruction";
    static final String KL = "kl";
    private static final int EVALUATION_BATCH = 500;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Map<String, Object> architecture(Map<String, Object> requested, ImageShape shape) {
        return VaeArchitecture.from(requested, shape).toMap();
    }

    @Override
    public LatentSpec latentSpec(Map<String, Object> architecture, ImageShape shape) {
        return new LatentSpec.Gaussian(VaeArchitecture.from(architecture, shape).latentDim());
    }

    @Override
    public String lossName() {
        return "negativeElbo";
    }

    @Override
    public String lossUnit() {
        return "nats per image";
    }

    @Override
    public TrainingResult train(TrainingSpec spec, ImageData train, ImageData test, TrainingMonitor monitor,
            Checkpoints checkpoints, Path outputDir) throws IOException {
        VaeArchitecture architecture = VaeArchitecture.from(spec.architecture(), spec.shape());
        ConvVae vae = new ConvVae(spec.shape(), architecture);
        return TrainingRun.of(NAME, vae, spec, imageBatch(spec.batchSize(), spec.shape()),
                        new Shape(spec.batchSize(), architecture.latentDim()))
                .train(train, test, monitor, checkpoints, session -> new VaeSteps(spec, vae, session),
                        TrainingRun.saveTo(outputDir, PARAMETERS_PREFIX));
    }

    /** The VAE's optimiser step and evaluation on the negative ELBO. */
    private record VaeSteps(TrainingSpec spec, ConvVae vae, TrainingRun.Session session) implements TrainingLoop.Steps {

        @Override
        public Block block() {
            return vae;
        }

        @Override
        public Adam optimizer() {
            return session.optimizer();
        }

        @Override
        public Map<String, Double> step(float[] pixels, int n, SplittableRandom noise, TrainingLoop.StepContext context) {
            int latent = vae.architecture().latentDim();
            Trainer trainer = session.trainer();
            try (NDManager scope = trainer.getManager().newSubManager()) {
                NDArray images = scope.create(pixels, imageBatch(n, vae.imageShape()));
                NDArray epsilon = scope.create(gaussian(noise, n * latent), new Shape(n, latent));
                NDArray reconstruction;
                NDArray kl;
                try (GradientCollector collector = trainer.newGradientCollector()) {
                    ConvVae.Output output = ConvVae.Output.of(trainer.forward(new NDList(images, epsilon)));
                    reconstruction = vae.reconstructionNll(output.decoderOutput(), images).sum();
                    kl = Elbo.klToStandardNormal(output.mean(), output.logVariance()).sum();
                    collector.backward(reconstruction.add(kl).div(Scoped.scalar(kl, n)));
                }
                double reconstructionSum = reconstruction.getFloat();
                double klSum = kl.getFloat();
                context.checkFinite((reconstructionSum + klSum) / n, spec.learningRate());
                trainer.step();
                return Map.of(RECONSTRUCTION, reconstructionSum, KL, klSum);
            }
        }

        @Override
        public Map<String, Double> evaluate(ImageData data, long seed) {
            return VaeFamily.evaluate(session.model(), vae, data, new SplittableRandom(seed));
        }

        @Override
        public double total(Map<String, Double> perImage) {
            return perImage.getOrDefault(RECONSTRUCTION, 0.0) + perImage.getOrDefault(KL, 0.0);
        }
    }

    /** Negative ELBO terms per held-out image, with one posterior sample per image as the PyTorch reference does. */
    static Map<String, Double> evaluate(Model model, ConvVae vae, ImageData data, SplittableRandom random) {
        int latent = vae.architecture().latentDim();
        double[] sums = new double[2];
        TrainingLoop.forEachBatch(model.getNDManager(), data, TrainingLoop.identity(data.count()), data.count(), EVALUATION_BATCH,
                (scope, images, from, to) -> {
                    int n = to - from;
                    NDArray epsilon = scope.create(gaussian(random, n * latent), new Shape(n, latent));
                    ConvVae.Output output = ConvVae.Output.of(
                            vae.forward(new ParameterStore(scope, false), new NDList(images, epsilon), false));
                    sums[0] += vae.reconstructionNll(output.decoderOutput(), images).sum().getFloat();
                    sums[1] += Elbo.klToStandardNormal(output.mean(), output.logVariance()).sum().getFloat();
                });
        return Map.of(RECONSTRUCTION, sums[0] / data.count(), KL, sums[1] / data.count());
    }

    @Override
    public LoadedModel load(Path versionDir, ImageShape shape, Map<String, Object> architecture, Device device)
            throws IOException {
        ConvVae vae = new ConvVae(shape, VaeArchitecture.from(architecture, shape));
        return new VaeModel(DjlModels.load(NAME, vae, versionDir, PARAMETERS_PREFIX, device, "VAE parameters"), vae);
    }

    /** Batches of test images, each scored as one request seeded by its batch's index. */
    @Override
    public double[] heldOutScores(Path versionDir, Map<String, Object> architecture, ImageData test, Device device)
            throws IOException {
        try (LoadedModel model = load(versionDir, test.shape(), architecture, device)) {
            return HeldOutQuantiles.scores((Scoring) model, test).stream()
                    .mapToDouble(score -> ((Scoring.Bounds) score).negativeElbo()).toArray();
        }
    }

    static float[] gaussian(SplittableRandom random, int count) {
        return TrainingLoop.gaussian(random, count);
    }
}
