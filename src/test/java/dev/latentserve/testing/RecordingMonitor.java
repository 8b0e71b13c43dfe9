package dev.latentserve.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.latentserve.family.EpochMetrics;
import dev.latentserve.family.TrainingMonitor;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/** A training monitor for tests: checks every step's loss is finite and records each epoch's metrics. */
public final class RecordingMonitor implements TrainingMonitor {

    private final List<EpochMetrics> epochs;
    private final BooleanSupplier cancelled;

    public RecordingMonitor(List<EpochMetrics> epochs, BooleanSupplier cancelled) {
        this.epochs = epochs;
        this.cancelled = cancelled;
    }

    public RecordingMonitor(List<EpochMetrics> epochs) {
        this(epochs, () -> false);
    }

    public static RecordingMonitor into(List<EpochMetrics> epochs) {
        return new RecordingMonitor(epochs);
    }

    public List<EpochMetrics> epochs() {
        return epochs;
    }

    @Override
    public void onStep(StepProgress progress) {
        assertThat(progress.loss()).isFinite();
    }

    @Override
    public void onEpoch(EpochMetrics metrics) {
        epochs.add(metrics);
    }

    @Override
    public boolean isCancelled() {
        return cancelled.getAsBoolean();
    }

    /** A fresh list to record into. */
    public static List<EpochMetrics> list() {
        return new ArrayList<>();
    }
}
