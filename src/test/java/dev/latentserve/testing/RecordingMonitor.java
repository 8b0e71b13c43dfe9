package dev.latentserve.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.latentserve.family.EpochMetrics;
import dev.latentserve.family.TrainingMonitor;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * A training monitor for tests: checks every step's loss is finite and records each epoch's metrics, every plan
 * announced and every step's progress.
 */
public final class RecordingMonitor implements TrainingMonitor {

    private final List<EpochMetrics> epochs;
    private final BooleanSupplier cancelled;
    private final List<List<Phase>> plans = new ArrayList<>();
    private final List<StepProgress> steps = new ArrayList<>();

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

    /** Every plan announced, in order. */
    public List<List<Phase>> plans() {
        return plans;
    }

    /** Every step's progress, in order. */
    public List<StepProgress> steps() {
        return steps;
    }

    /** The phases the steps belonged to, in the order they ran, each run of steps of one phase once. */
    public List<String> stepPhases() {
        List<String> phases = new ArrayList<>();
        for (StepProgress step : steps) {
            if (phases.isEmpty() || !phases.getLast().equals(step.phase())) {
                phases.add(step.phase());
            }
        }
        return phases;
    }

    /** The steps of phase {@code name}. */
    public List<StepProgress> steps(String name) {
        return steps.stream().filter(step -> step.phase().equals(name)).toList();
    }

    @Override
    public void onPlan(List<Phase> phases) {
        plans.add(List.copyOf(phases));
    }

    @Override
    public void onStep(StepProgress progress) {
        assertThat(progress.loss()).isFinite();
        steps.add(progress);
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
