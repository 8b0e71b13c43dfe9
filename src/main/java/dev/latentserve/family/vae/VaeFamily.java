package dev.latentserve.family.vae;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.MalformedModelException;
import dev.latentserve.family.EpochMetrics;
import dev.latentserve.family.LoadedModel;
import dev.latentserve.family.ModelFamily;
import dev.latentserve.family.TrainingCancelledException;
import dev.latentserve.family.TrainingDivergedException;
import dev.latentserve.family.TrainingMonitor;
import dev.latentserve.family.TrainingMonitor.StepProgress;
import dev.latentserve.family.TrainingResult;
import dev.latentserve.family.TrainingSpec;
import dev.latentserve.image.ImageData;
import dev.latentserve.image.ImageShape;
import dev.latentserve.nn.Elbo;
import dev.latentserve.nn.TorchDefaultInit;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.springframework.stereotype.Component;

/** The convolutional VAE family: trains with Adam on the negative ELBO and serves {@link VaeModel}s. */
@Component
public final class VaeFamily implements ModelFamily {

    static final String NAME = "vae";
    static final String PARAMETERS_PREFIX = "vae";
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
    public TrainingResult train(TrainingSpec spec, ImageData train, ImageData test, TrainingMonitor monitor, Path outputDir)
            throws IOException {
        VaeArchitecture architecture = VaeArchitecture.from(spec.architecture(), spec.shape());
        ImageShape shape = spec.shape();
        Device device = spec.device();
        try (Model model = Model.newInstance(NAME, device)) {
            ConvVae vae = new ConvVae(shape, architecture);
            model.setBlock(vae);
            DefaultTrainingConfig config = new DefaultTrainingConfig(Loss.l2Loss())
                    .optDevices(new Device[] {device})
                    .optOptimizer(Optimizer.adam().optLearningRateTracker(Tracker.fixed((float) spec.learningRate())).build());
            try (Trainer trainer = model.newTrainer(config)) {
                trainer.initialize(imageBatch(spec.batchSize(), shape), new Shape(spec.batchSize(), architecture.latentDim()));
                TorchDefaultInit.apply(vae, spec.seed());
                List<EpochMetrics> history = new ArrayList<>();
                SplittableRandom random = new SplittableRandom(spec.seed() + 1);
                int[] order = identity(train.count());
                for (int epoch = 1; epoch <= spec.epochs(); epoch++) {
                    shuffle(order, random);
                    EpochLoss trainLoss = trainEpoch(trainer, vae, train, order, spec, epoch, random, monitor);
                    EpochLoss testLoss = evaluate(model, vae, test, new SplittableRandom(spec.seed() + 2));
                    EpochMetrics metrics = new EpochMetrics(epoch, trainLoss.total(), testLoss.total(),
                            trainLoss.terms(), testLoss.terms(), trainLoss.imagesPerSecond());
                    history.add(metrics);
                    monitor.onEpoch(metrics);
                }
                model.save(outputDir, PARAMETERS_PREFIX);
                long parameters = vae.getParameters().values().stream().mapToLong(p -> p.getArray().size()).sum();
                return new TrainingResult(history, parameters);
            }
        }
    }

    private EpochLoss trainEpoch(Trainer trainer, ConvVae vae, ImageData train, int[] order, TrainingSpec spec, int epoch,
            SplittableRandom random, TrainingMonitor monitor) {
        int batchSize = spec.batchSize();
        int latent = vae.architecture().latentDim();
        long stepsPerEpoch = (train.count() + batchSize - 1) / batchSize;
        double reconstructionSum = 0;
        double klSum = 0;
        long start = System.nanoTime();
        long step = 0;
        for (int from = 0; from < train.count(); from += batchSize) {
            if (monitor.isCancelled()) {
                throw new TrainingCancelledException();
            }
            int to = Math.min(train.count(), from + batchSize);
            int n = to - from;
            float[] pixels = train.gather(order, from, to);
            float[] noise = gaussian(random, n * latent);
            try (NDManager scope = trainer.getManager().newSubManager()) {
                NDArray images = scope.create(pixels, imageBatch(n, vae.imageShape()));
                NDArray epsilon = scope.create(noise, new Shape(n, latent));
                NDArray reconstruction;
                NDArray kl;
                try (GradientCollector collector = trainer.newGradientCollector()) {
                    NDList output = trainer.forward(new NDList(images, epsilon));
                    reconstruction = vae.reconstructionNll(output.get(0), images).sum();
                    kl = Elbo.klToStandardNormal(output.get(1), output.get(2)).sum();
                    collector.backward(reconstruction.add(kl).div(n));
                }
                trainer.step();
                double stepReconstruction = reconstruction.getFloat();
                double stepKl = kl.getFloat();
                double stepLoss = (stepReconstruction + stepKl) / n;
                if (!Double.isFinite(stepLoss)) {
                    throw new TrainingDivergedException("the negative ELBO became " + stepLoss + " at epoch " + epoch
                            + ", step " + (step + 1) + "; lower the learning rate (now " + spec.learningRate() + ")");
                }
                reconstructionSum += stepReconstruction;
                klSum += stepKl;
                step++;
                double seconds = (System.nanoTime() - start) / 1e9;
                monitor.onStep(new StepProgress(epoch, step, stepsPerEpoch, stepLoss, to / seconds));
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        return EpochLoss.of(reconstructionSum, klSum, train.count(), train.count() / seconds);
    }

    /** Negative ELBO on held-out data with one posterior sample per image, as the PyTorch reference does. */
    static EpochLoss evaluate(Model model, ConvVae vae, ImageData data, SplittableRandom random) {
        int latent = vae.architecture().latentDim();
        double reconstructionSum = 0;
        double klSum = 0;
        int[] all = identity(data.count());
        for (int from = 0; from < data.count(); from += EVALUATION_BATCH) {
            int to = Math.min(data.count(), from + EVALUATION_BATCH);
            int n = to - from;
            float[] noise = gaussian(random, n * latent);
            try (NDManager scope = model.getNDManager().newSubManager()) {
                ParameterStore store = new ParameterStore(scope, false);
                NDArray images = scope.create(data.gather(all, from, to), imageBatch(n, vae.imageShape()));
                NDList output = vae.forward(store, new NDList(images, scope.create(noise, new Shape(n, latent))), false);
                reconstructionSum += vae.reconstructionNll(output.get(0), images).sum().getFloat();
                klSum += Elbo.klToStandardNormal(output.get(1), output.get(2)).sum().getFloat();
            }
        }
        return EpochLoss.of(reconstructionSum, klSum, data.count(), 0);
    }

    @Override
    public LoadedModel load(Path versionDir, ImageShape shape, Map<String, Object> architecture, Device device)
            throws IOException {
        VaeArchitecture parsed = VaeArchitecture.from(architecture, shape);
        Model model = Model.newInstance(NAME, device);
        try {
            ConvVae vae = new ConvVae(shape, parsed);
            model.setBlock(vae);
            model.load(versionDir, PARAMETERS_PREFIX);
            return new VaeModel(model, vae);
        } catch (IOException | MalformedModelException | RuntimeException e) {
            model.close();
            throw new IOException("cannot load VAE parameters from " + versionDir + ": " + e.getMessage(), e);
        }
    }

    static Shape imageBatch(long n, ImageShape shape) {
        return new Shape(n, shape.channels(), shape.height(), shape.width());
    }

    static float[] gaussian(SplittableRandom random, int count) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }

    private static int[] identity(int n) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        return order;
    }

    private static void shuffle(int[] order, SplittableRandom random) {
        for (int i = order.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int swap = order[i];
            order[i] = order[j];
            order[j] = swap;
        }
    }

    /** Summed loss terms over an epoch, reported per image. */
    record EpochLoss(double total, Map<String, Double> terms, double imagesPerSecond) {

        static EpochLoss of(double reconstructionSum, double klSum, int images, double imagesPerSecond) {
            double reconstruction = reconstructionSum / images;
            double kl = klSum / images;
            return new EpochLoss(reconstruction + kl, Map.of("reconstruction", reconstruction, "kl", kl), imagesPerSecond);
        }
    }
}
