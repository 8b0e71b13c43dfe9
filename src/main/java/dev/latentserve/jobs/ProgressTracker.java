package dev.latentserve.jobs;

import dev.latentserve.family.EpochMetrics;
import dev.latentserve.family.TrainingMonitor.Phase;
import dev.latentserve.family.TrainingMonitor.StepProgress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * Where a job running on this worker is within its plan, updated from the run's thread and read by API threads.
 *
 * <p>A phase is done to the fraction {@code ((epoch - 1) * stepsPerEpoch + step) / (epochs * stepsPerEpoch)} of its
 * steps; the phases before it are done, those after it not begun. The job is done to the weighted fraction
 * {@code W = sum(done_i * weight_i) / sum(weight_i)}, and the time left is the rate of this attempt applied to the rest:
 * {@code elapsed / (W - W0) * (1 - W)}, where {@code W0} is what earlier attempts had done (the fraction before this
 * attempt's first step), so a job that resumed from a checkpoint is not credited with work it did not do now.
 */
final class ProgressTracker {

    private final LongSupplier nanoTime;
    private final long startNanos;
    private final List<EpochMetrics> history = new CopyOnWriteArrayList<>();
    private volatile List<Phase> plan;
    private volatile StepProgress last;
    private volatile @Nullable Double doneBeforeThisAttempt;
    private volatile boolean succeeded;
    private volatile @Nullable Integer resumedFromEpoch;
    private volatile @Nullable Long resumedFromStep;

    /**
     * @param plan the phases as the job's kind expects them, until the run announces its own
     * @param stored the progress the job's record holds (where an earlier attempt resumed from), if any
     * @param nanoTime the clock the elapsed time is read from
     */
    ProgressTracker(List<Phase> plan, @Nullable JobProgress stored, LongSupplier nanoTime) {
        this.plan = List.copyOf(plan);
        this.nanoTime = nanoTime;
        this.startNanos = nanoTime.getAsLong();
        this.last = new StepProgress(plan.getFirst().name(), 0, 0, 0, Double.NaN, 0);
        this.resumedFromEpoch = stored == null ? null : stored.resumedFromEpoch();
        this.resumedFromStep = stored == null ? null : stored.resumedFromStep();
    }

    /** The progress of a job that has not run yet. */
    static JobProgress initial(List<Phase> plan) {
        return new ProgressTracker(plan, null, () -> 0L).snapshot();
    }

    /** The run announced its phases; they replace what the kind expected. */
    void plan(List<Phase> phases) {
        if (!phases.isEmpty()) {
            plan = List.copyOf(phases);
        }
    }

    /**
     * A phase continues from its checkpoint at {@code epoch}, {@code stepInEpoch}, with the metrics of its finished
     * epochs. They replace that phase's entries only: a run of several phases (a VQ-VAE-2 prior fit, level after
     * level) resumes each phase in turn, and the earlier phases' epochs stay in the history.
     */
    void resumed(int epoch, long stepInEpoch, List<EpochMetrics> finished) {
        java.util.Set<@Nullable String> phases = new java.util.HashSet<>();
        finished.forEach(metrics -> phases.add(metrics.phase()));
        history.removeIf(metrics -> phases.contains(metrics.phase()));
        history.addAll(finished);
        resumedFromEpoch = epoch;
        resumedFromStep = stepInEpoch;
        last = new StepProgress(last.phase(), epoch, stepInEpoch, last.stepsPerEpoch(), Double.NaN, 0);
    }

    void step(StepProgress progress) {
        if (doneBeforeThisAttempt == null) {
            doneBeforeThisAttempt = weightedDone(plan, new StepProgress(progress.phase(), progress.epoch(), progress.step() - 1,
                    progress.stepsPerEpoch(), progress.loss(), progress.imagesPerSecond()));
        }
        last = progress;
    }

    void epoch(EpochMetrics metrics) {
        history.add(metrics);
    }

    /** The job has succeeded: every phase is done and no time is left. */
    void succeeded() {
        succeeded = true;
    }

    /** The progress as the API shows it while the job runs, or as it was when it succeeded. */
    JobProgress snapshot() {
        return snapshot(true);
    }

    /**
     * The progress of a job that stops here without succeeding (cancelled, failed, back to the queue): how far it
     * got, and no time left to estimate.
     */
    JobProgress stopped() {
        return snapshot(false);
    }

    private JobProgress snapshot(boolean going) {
        StepProgress p = last;
        List<Phase> phases = plan;
        boolean complete = going && succeeded;
        int current = indexOf(phases, p.phase());
        List<JobProgress.PhaseProgress> rows = new ArrayList<>(phases.size());
        for (int i = 0; i < phases.size(); i++) {
            Phase phase = phases.get(i);
            double done = complete || i < current ? 1 : i == current ? fractionOf(phase, p) : 0;
            rows.add(new JobProgress.PhaseProgress(phase.name(), phase.unit(), phase.epochs(), done));
        }
        @Nullable Double fraction = complete ? Double.valueOf(1) : weightedDone(phases, p);
        @Nullable Double eta = complete ? Double.valueOf(0) : going ? estimate(fraction) : null;
        Phase phase = current < 0 ? null : phases.get(current);
        return new JobProgress(p.epoch(), phase == null ? p.epoch() : phase.epochs(), p.step(), p.stepsPerEpoch(),
                Double.isFinite(p.loss()) ? p.loss() : null, p.imagesPerSecond(), eta, List.copyOf(history), resumedFromEpoch,
                resumedFromStep, p.phase(), phase == null ? null : phase.unit(), rows, fraction);
    }

    /** Seconds left at this attempt's rate; null before its first step or when the step is of no phase in the plan. */
    private @Nullable Double estimate(@Nullable Double fraction) {
        Double before = doneBeforeThisAttempt;
        if (fraction == null || before == null || fraction <= before) {
            return null;
        }
        double elapsed = (nanoTime.getAsLong() - startNanos) / 1e9;
        return elapsed / (fraction - before) * (1 - fraction);
    }

    /** W: the weighted fraction of the plan done after step {@code p}; null when {@code p} is of no phase in the plan. */
    static @Nullable Double weightedDone(List<Phase> phases, StepProgress p) {
        int current = indexOf(phases, p.phase());
        if (current < 0) {
            return null;
        }
        double total = 0;
        double done = 0;
        for (int i = 0; i < phases.size(); i++) {
            Phase phase = phases.get(i);
            total += phase.weight();
            done += phase.weight() * (i < current ? 1 : i == current ? fractionOf(phase, p) : 0);
        }
        return done / total;
    }

    /** How much of {@code phase} is done after step {@code p} of it. */
    private static double fractionOf(Phase phase, StepProgress p) {
        if (p.stepsPerEpoch() <= 0) {
            return 0;
        }
        double steps = (double) phase.epochs() * p.stepsPerEpoch();
        return Math.clamp((Math.max(0, p.epoch() - 1) * (double) p.stepsPerEpoch() + p.step()) / steps, 0.0, 1.0);
    }

    private static int indexOf(List<Phase> phases, String name) {
        for (int i = 0; i < phases.size(); i++) {
            if (phases.get(i).name().equals(name)) {
                return i;
            }
        }
        return -1;
    }
}
