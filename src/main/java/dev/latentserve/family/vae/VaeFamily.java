package dev.latentserve.family.vae;

import ai.djl.Device;
import ai.djl.MalformedModelException;
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
import dev.latentserve.family.Checkpoints;
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
import dev.latentserve.nn.Adam;
import dev.latentserve.nn.Elbo;
import dev.latentserve.nn.GradMode;
import dev.latentserve.nn.ParameterSnapshot;
import dev.latentserve.nn.TorchDefaultInit;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * The convolutional VAE family: trains with Adam on the negative ELBO and serves {@link VaeModel}s.
 *
 * <p>Randomness is a pure function of (seed, epoch, step): the shuffle of epoch e and the noise of its
 * step s come from generators seeded with those numbers. A run resumed from a checkpoint therefore draws
 * exactly what an uninterrupted run would have drawn, with no generator state to save.
 */
@Component
public final class VaeFamily implements ModelFamily {

    static final String NAME = "vae";
    static final String PARAMETERS_PREFIX = "vae";
    private static final int EVALUATION_BATCH = 500;
    private static final String PARAMETERS_FILE = "parameters.bin";
    private static final String OPTIMIZER_FILE = "optimizer.bin";
    private static final String PROGRESS_FILE = "progress.json";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Map<String, Object> architecture(Map<String, Object> requested, ImageShape shape) {
        return VaeArchitecture.from(requested, shape).toMap();
    }

    @Override
    public TrainingResult train(TrainingSpec spec, ImageData train, ImageData test, TrainingMonitor monitor,
            Checkpoints checkpoints, Path outputDir) throws IOException {
        VaeArchitecture architecture = VaeArchitecture.from(spec.architecture(), spec.shape());
        ImageShape shape = spec.shape();
        Device device = spec.device();
        GradMode.disableForTraining();
        try (Model model = Model.newInstance(NAME, device)) {
            ConvVae vae = new ConvVae(shape, architecture);
            model.setBlock(vae);
            Adam adam = new Adam((float) spec.learningRate());
            DefaultTrainingConfig config = new DefaultTrainingConfig(Loss.l2Loss())
                    .optDevices(new Device[] {device})
                    .optOptimizer(adam);
            try (Trainer trainer = model.newTrainer(config)) {
                trainer.initialize(imageBatch(spec.batchSize(), shape), new Shape(spec.batchSize(), architecture.latentDim()));
                TorchDefaultInit.apply(vae, spec.seed());
                Position position = resume(checkpoints, vae, adam, monitor);
                Run run = new Run(spec, vae, trainer, adam, train, test, monitor, checkpoints, model);
                while (position.epoch <= spec.epochs()) {
                    position = run.epoch(position);
                }
                model.save(outputDir, PARAMETERS_PREFIX);
                long parameters = vae.getParameters().values().stream().mapToLong(p -> p.getArray().size()).sum();
                return new TrainingResult(position.history, parameters);
            }
        }
    }

    private static Position resume(Checkpoints checkpoints, ConvVae vae, Adam adam, TrainingMonitor monitor) throws IOException {
        Optional<Path> latest = checkpoints.latest();
        if (latest.isEmpty()) {
            return Position.start();
        }
        Path folder = latest.get();
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(folder.resolve(PARAMETERS_FILE))))) {
            ParameterSnapshot.read(vae, in);
        }
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(folder.resolve(OPTIMIZER_FILE))))) {
            adam.load(vae.getParameters(), in);
        }
        Position position = JSON.readValue(folder.resolve(PROGRESS_FILE).toFile(), Position.class);
        monitor.onResume(position.epoch, position.stepInEpoch, List.copyOf(position.history));
        return position;
    }

    /** Everything one training run works with. */
    private record Run(TrainingSpec spec, ConvVae vae, Trainer trainer, Adam adam, ImageData train, ImageData test,
            TrainingMonitor monitor, Checkpoints checkpoints, Model model) {

        /** Trains from {@code at} to the end of its epoch, evaluates, and returns the start of the next epoch. */
        Position epoch(Position at) throws IOException {
            int batchSize = spec.batchSize();
            int latent = vae.architecture().latentDim();
            long stepsPerEpoch = (train.count() + batchSize - 1) / batchSize;
            int[] order = shuffled(train.count(), spec.seed(), at.epoch);
            Position position = at;
            long start = System.nanoTime();
            double secondsBefore = position.trainSeconds;
            for (long step = position.stepInEpoch; step < stepsPerEpoch; step++) {
                if (monitor.isCancelled()) {
                    throw new TrainingCancelledException();
                }
                int from = (int) (step * batchSize);
                int to = Math.min(train.count(), from + batchSize);
                int n = to - from;
                float[] pixels = train.gather(order, from, to);
                float[] noise = gaussian(new SplittableRandom(mix(spec.seed(), position.epoch, step)), n * latent);
                double[] terms = step(pixels, noise, n, position, step);
                double seconds = secondsBefore + (System.nanoTime() - start) / 1e9;
                position = position.afterStep(terms[0], terms[1], seconds);
                monitor.onStep(new StepProgress(position.epoch, step + 1, stepsPerEpoch, (terms[0] + terms[1]) / n,
                        (to - at.stepInEpoch * batchSize) / Math.max(1e-9, (System.nanoTime() - start) / 1e9)));
                if (checkpoints.everySteps() > 0 && position.globalStep % checkpoints.everySteps() == 0 && step + 1 < stepsPerEpoch) {
                    save(position);
                }
            }
            EpochLoss trainLoss = EpochLoss.of(position.reconstructionSum, position.klSum, train.count(),
                    train.count() / Math.max(1e-9, position.trainSeconds));
            EpochLoss testLoss = evaluate(model, vae, test, new SplittableRandom(spec.seed() + 2));
            EpochMetrics metrics = new EpochMetrics(position.epoch, trainLoss.total(), testLoss.total(), trainLoss.terms(),
                    testLoss.terms(), trainLoss.imagesPerSecond());
            Position next = position.nextEpoch(metrics);
            save(next);
            monitor.onEpoch(metrics);
            return next;
        }

        private double[] step(float[] pixels, float[] noise, int n, Position position, long step) {
            int latent = vae.architecture().latentDim();
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
                double stepReconstruction = reconstruction.getFloat();
                double stepKl = kl.getFloat();
                double loss = (stepReconstruction + stepKl) / n;
                if (!Double.isFinite(loss)) {
                    // Checked before the optimiser step, so the saved state never holds a diverged model.
                    throw new TrainingDivergedException("the negative ELBO became " + loss + " at epoch " + position.epoch
                            + ", step " + (step + 1) + "; lower the learning rate (now " + spec.learningRate() + ")");
                }
                trainer.step();
                return new double[] {stepReconstruction, stepKl};
            }
        }

        private void save(Position position) throws IOException {
            checkpoints.save(position.globalStep, folder -> {
                try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(
                        Files.newOutputStream(folder.resolve(PARAMETERS_FILE))))) {
                    ParameterSnapshot.write(vae, out);
                }
                try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(
                        Files.newOutputStream(folder.resolve(OPTIMIZER_FILE))))) {
                    adam.save(vae.getParameters(), out);
                }
                JSON.writeValue(folder.resolve(PROGRESS_FILE).toFile(), position);
            });
        }
    }

    /**
     * Where a run stands: the epoch under way (1-based), steps done in it, sums of its loss terms so far,
     * and the metrics of finished epochs. This is the checkpoint's {@code progress.json}.
     */
    record Position(int epoch, long stepInEpoch, long globalStep, double reconstructionSum, double klSum,
            double trainSeconds, List<EpochMetrics> history) {

        static Position start() {
            return new Position(1, 0, 0, 0, 0, 0, List.of());
        }

        Position afterStep(double reconstruction, double kl, double seconds) {
            return new Position(epoch, stepInEpoch + 1, globalStep + 1, reconstructionSum + reconstruction, klSum + kl,
                    seconds, history);
        }

        Position nextEpoch(EpochMetrics finished) {
            List<EpochMetrics> all = new ArrayList<>(history);
            all.add(finished);
            return new Position(epoch + 1, 0, globalStep, 0, 0, 0, List.copyOf(all));
        }
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

    /** A well-spread seed for the generator of (seed, epoch, step). */
    static long mix(long seed, long epoch, long step) {
        return new SplittableRandom(new SplittableRandom(seed * 0x9E3779B97F4A7C15L + epoch).nextLong() + step).nextLong();
    }

    private static int[] shuffled(int n, long seed, int epoch) {
        int[] order = identity(n);
        SplittableRandom random = new SplittableRandom(mix(seed, epoch, -1));
        for (int i = order.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int swap = order[i];
            order[i] = order[j];
            order[j] = swap;
        }
        return order;
    }

    private static int[] identity(int n) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        return order;
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
