package dev.latentserve.jobs;

import ai.djl.Device;
import dev.latentserve.family.Checkpoints;
import dev.latentserve.family.EpochMetrics;
import dev.latentserve.family.LatentSpec;
import dev.latentserve.family.LoadedModel;
import dev.latentserve.family.ModelFamily;
import dev.latentserve.family.TrainingCancelledException;
import dev.latentserve.family.TrainingMonitor;
import dev.latentserve.family.TrainingMonitor.Phase;
import dev.latentserve.family.TrainingResult;
import dev.latentserve.family.TrainingSpec;
import dev.latentserve.image.ImageData;
import dev.latentserve.image.ImageShape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * A model family that "trains" at once: it announces two phases ({@value #WARM_UP}, one epoch, and {@value #MAIN},
 * the request's epochs, three times as long), reports {@value #STEPS} steps per epoch, writes one file and returns
 * fixed losses. A test can run code at every step (cancel the job, look at its live progress) and make the next run
 * fail with a given exception.
 */
final class FakeFamily implements ModelFamily {

    static final String NAME = "fake";
    static final String WARM_UP = "warm-up";
    static final String MAIN = "main";
    static final int STEPS = 2;
    static final String FILE = "weights.txt";

    private volatile Consumer<TrainingMonitor.StepProgress> atEveryStep = step -> { };
    private volatile @Nullable Exception nextFailure;
    private volatile int runs;

    /** Runs {@code action} after every step the next runs report. */
    void atEveryStep(Consumer<TrainingMonitor.StepProgress> action) {
        atEveryStep = action;
    }

    /** The next run throws {@code failure} at its first step; the one after it succeeds. */
    void failNextRunWith(Exception failure) {
        nextFailure = failure;
    }

    /** How many times {@link #train} was called since the last {@link #reset()}. */
    int runs() {
        return runs;
    }

    void reset() {
        atEveryStep = step -> { };
        nextFailure = null;
        runs = 0;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Map<String, Object> architecture(Map<String, Object> requested, ImageShape shape) {
        return Map.of("width", 1);
    }

    @Override
    public LatentSpec latentSpec(Map<String, Object> architecture, ImageShape shape) {
        return new LatentSpec.Gaussian(2);
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
        runs++;
        List<Phase> plan = List.of(new Phase(WARM_UP, "epochs", 1, 1), new Phase(MAIN, "epochs", spec.epochs(), 3));
        monitor.onPlan(plan);
        List<EpochMetrics> history = new ArrayList<>();
        for (Phase phase : plan) {
            for (int epoch = 1; epoch <= phase.epochs(); epoch++) {
                for (int step = 1; step <= STEPS; step++) {
                    if (monitor.isCancelled()) {
                        throw new TrainingCancelledException();
                    }
                    Exception failure = nextFailure;
                    if (failure != null) {
                        nextFailure = null;
                        if (failure instanceof IOException io) {
                            throw io;
                        }
                        throw (RuntimeException) failure;
                    }
                    TrainingMonitor.StepProgress progress = new TrainingMonitor.StepProgress(phase.name(), epoch, step, STEPS, 1.5, 100);
                    monitor.onStep(progress);
                    atEveryStep.accept(progress);
                }
                EpochMetrics metrics = new EpochMetrics(epoch, 1.5, 1.25, Map.of(), Map.of(), 100);
                monitor.onEpoch(metrics);
                history.add(metrics);
            }
        }
        Files.writeString(outputDir.resolve(FILE), "trained");
        return new TrainingResult(history, 7);
    }

    @Override
    public LoadedModel load(Path versionDir, ImageShape shape, Map<String, Object> architecture, Device device) {
        throw new UnsupportedOperationException("the fake family only trains");
    }
}
