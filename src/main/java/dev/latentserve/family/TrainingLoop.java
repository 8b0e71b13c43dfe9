package dev.latentserve.family;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import dev.latentserve.family.TrainingMonitor.StepProgress;
import dev.latentserve.image.ImageData;
import dev.latentserve.image.ImageShape;
import dev.latentserve.nn.Adam;
import dev.latentserve.nn.ParameterSnapshot;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import tools.jackson.databind.json.JsonMapper;

/**
 * The epoch loop every family trains with: shuffling, batching, progress, cancellation, evaluation and
 * checkpoints, around the family's own optimiser step.
 *
 * <p>Randomness is a pure function of (seed, epoch, step): the shuffle of epoch e and the noise generator of
 * its step s are seeded with those numbers. A run resumed from a checkpoint therefore draws exactly what an
 * uninterrupted run would have drawn, with no generator state to save. A checkpoint holds every parameter
 * (EMA buffers included), the Adam moments and the {@link Position}.
 */
public final class TrainingLoop {

    private static final String PARAMETERS_FILE = "parameters.bin";
    private static final String OPTIMIZER_FILE = "optimizer.bin";
    private static final String PROGRESS_FILE = "progress.json";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private TrainingLoop() {
    }

    /** What a family plugs into the loop. */
    public interface Steps {

        Block block();

        Adam optimizer();

        /**
         * One optimiser step on a batch of {@code n} images (N x C x H x W floats).
         *
         * @return each loss term summed over the batch's images
         */
        Map<String, Double> step(float[] pixels, int n, SplittableRandom noise, StepContext context);

        /** Each loss term averaged per held-out image. */
        Map<String, Double> evaluate(ImageData test, long seed);

        /** The loss reported per image, from the per-image terms. */
        double total(Map<String, Double> perImage);

        /** Called after each epoch, for per-epoch extras such as codebook statistics. */
        default Map<String, Double> epochStatistics() {
            return Map.of();
        }
    }

    /** Where a step is, for messages. */
    public record StepContext(int epoch, long step) {

        /** Fails the run when a loss is NaN or infinite, before the optimiser step could spread it. */
        public void checkFinite(double loss, double learningRate) {
            if (!Double.isFinite(loss)) {
                throw new TrainingDivergedException("the loss became " + loss + " at epoch " + epoch + ", step " + (step + 1)
                        + "; lower the learning rate (now " + learningRate + ")");
            }
        }
    }

    /**
     * Where a run stands: the epoch under way (1-based), steps done in it, each loss term summed so far in
     * it, and the metrics of finished epochs. This is a checkpoint's {@code progress.json}.
     */
    public record Position(int epoch, long stepInEpoch, long globalStep, Map<String, Double> termSums, double trainSeconds,
            List<EpochMetrics> history) {

        static Position start() {
            return new Position(1, 0, 0, Map.of(), 0, List.of());
        }

        Position afterStep(Map<String, Double> terms, double seconds) {
            Map<String, Double> sums = new LinkedHashMap<>(termSums);
            terms.forEach((name, value) -> sums.merge(name, value, Double::sum));
            return new Position(epoch, stepInEpoch + 1, globalStep + 1, sums, seconds, history);
        }

        Position nextEpoch(EpochMetrics finished) {
            List<EpochMetrics> all = new ArrayList<>(history);
            all.add(finished);
            return new Position(epoch + 1, 0, globalStep, Map.of(), 0, List.copyOf(all));
        }
    }

    /** {@link #run(String, TrainingSpec, ImageData, ImageData, TrainingMonitor, Checkpoints, Steps)} as a run's only phase. */
    public static List<EpochMetrics> run(TrainingSpec spec, ImageData train, ImageData test, TrainingMonitor monitor,
            Checkpoints checkpoints, Steps steps) throws IOException {
        return run(TrainingMonitor.Phase.TRAIN, spec, train, test, monitor, checkpoints, steps);
    }

    /**
     * Trains for {@code spec.epochs()} epochs from the newest checkpoint, or from the start when there is none.
     *
     * @param phase the name of the phase of the caller's plan that this loop is, given to every step's progress and every
     *     epoch's metrics; the caller announces the plan
     * @return the metrics of every epoch of this loop, those restored from a checkpoint included
     */
    public static List<EpochMetrics> run(String phase, TrainingSpec spec, ImageData train, ImageData test, TrainingMonitor monitor,
            Checkpoints checkpoints, Steps steps) throws IOException {
        Position position = resume(checkpoints, steps, monitor);
        while (position.epoch() <= spec.epochs()) {
            position = epoch(phase, spec, train, test, monitor, checkpoints, steps, position);
        }
        return position.history();
    }

    private static Position epoch(String phase, TrainingSpec spec, ImageData train, ImageData test, TrainingMonitor monitor,
            Checkpoints checkpoints, Steps steps, Position at) throws IOException {
        int batchSize = spec.batchSize();
        long stepsPerEpoch = (train.count() + batchSize - 1) / batchSize;
        int[] order = shuffled(train.count(), spec.seed(), at.epoch());
        Position position = at;
        long start = System.nanoTime();
        double secondsBefore = position.trainSeconds();
        for (long step = position.stepInEpoch(); step < stepsPerEpoch; step++) {
            if (monitor.isCancelled()) {
                if (monitor.isStopping() && step > at.stepInEpoch() && !isPeriodicCheckpoint(checkpoints, position)) {
                    // A shutdown (SIGTERM): keep every finished step for whichever worker resumes the job.
                    save(checkpoints, steps, position);
                }
                throw new TrainingCancelledException();
            }
            int from = (int) (step * batchSize);
            int to = Math.min(train.count(), from + batchSize);
            int n = to - from;
            SplittableRandom noise = new SplittableRandom(mix(spec.seed(), position.epoch(), step));
            Map<String, Double> terms = steps.step(train.gather(order, from, to), n, noise,
                    new StepContext(position.epoch(), step));
            double elapsed = (System.nanoTime() - start) / 1e9;
            position = position.afterStep(terms, secondsBefore + elapsed);
            Map<String, Double> perImage = new LinkedHashMap<>();
            terms.forEach((name, value) -> perImage.put(name, value / n));
            monitor.onStep(new StepProgress(phase, position.epoch(), step + 1, stepsPerEpoch, steps.total(perImage),
                    (to - at.stepInEpoch() * batchSize) / Math.max(1e-9, elapsed)));
            if (isPeriodicCheckpoint(checkpoints, position) && step + 1 < stepsPerEpoch) {
                save(checkpoints, steps, position);
            }
        }
        Map<String, Double> trainTerms = new LinkedHashMap<>();
        position.termSums().forEach((name, value) -> trainTerms.put(name, value / train.count()));
        trainTerms.putAll(steps.epochStatistics());
        Map<String, Double> testTerms = steps.evaluate(test, spec.seed() + 2);
        EpochMetrics metrics = new EpochMetrics(phase, position.epoch(), steps.total(trainTerms), steps.total(testTerms), trainTerms,
                testTerms, train.count() / Math.max(1e-9, position.trainSeconds()));
        Position next = position.nextEpoch(metrics);
        save(checkpoints, steps, next);
        monitor.onEpoch(metrics);
        return next;
    }

    /** Whether {@code position} is one where the loop saves a checkpoint every {@code everySteps} steps. */
    private static boolean isPeriodicCheckpoint(Checkpoints checkpoints, Position position) {
        return checkpoints.everySteps() > 0 && position.globalStep() % checkpoints.everySteps() == 0;
    }

    private static Position resume(Checkpoints checkpoints, Steps steps, TrainingMonitor monitor) throws IOException {
        Optional<Path> latest = checkpoints.latest();
        if (latest.isEmpty()) {
            return Position.start();
        }
        Path folder = latest.get();
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(folder.resolve(PARAMETERS_FILE))))) {
            ParameterSnapshot.read(steps.block(), in);
        }
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(folder.resolve(OPTIMIZER_FILE))))) {
            steps.optimizer().load(steps.block().getParameters(), in);
        }
        Position position = JSON.readValue(folder.resolve(PROGRESS_FILE).toFile(), Position.class);
        monitor.onResume(position.epoch(), position.stepInEpoch(), List.copyOf(position.history()));
        return position;
    }

    private static void save(Checkpoints checkpoints, Steps steps, Position position) throws IOException {
        checkpoints.save(position.globalStep(), folder -> {
            try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(folder.resolve(PARAMETERS_FILE))))) {
                ParameterSnapshot.write(steps.block(), out);
            }
            try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(folder.resolve(OPTIMIZER_FILE))))) {
                steps.optimizer().save(steps.block().getParameters(), out);
            }
            JSON.writeValue(folder.resolve(PROGRESS_FILE).toFile(), position);
        });
    }

    /** The (n, C, H, W) shape of a batch of {@code n} images. */
    public static Shape imageBatch(long n, ImageShape shape) {
        return new Shape(n, shape.channels(), shape.height(), shape.width());
    }

    /** Work on one batch of images, (n, C, H, W), in a scope that is closed afterwards. */
    @FunctionalInterface
    public interface BatchWork {
        void accept(NDManager scope, NDArray images, int from, int to);
    }

    /**
     * Runs {@code work} on the images at {@code indices[0..count)} in consecutive batches, each in its own child
     * scope of {@code parent}, so evaluation and encoding of whole datasets keep native memory bounded.
     */
    public static void forEachBatch(NDManager parent, ImageData data, int[] indices, int count, int batchSize, BatchWork work) {
        for (int from = 0; from < count; from += batchSize) {
            int to = Math.min(count, from + batchSize);
            try (NDManager scope = parent.newSubManager()) {
                NDArray images = scope.create(data.gather(indices, from, to), imageBatch(to - from, data.shape()));
                work.accept(scope, images, from, to);
            }
        }
    }

    /** A well-spread seed for the generator of (seed, epoch, step). */
    public static long mix(long seed, long epoch, long step) {
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

    public static int[] identity(int n) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        return order;
    }

    public static float[] gaussian(SplittableRandom random, int count) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }
}
