package dev.latentserve.family;

import java.util.List;

/**
 * Receives progress from a training run (or any other long job: a prior fit, a codebook fit, sampling) and tells it
 * when to stop.
 *
 * <p>A run first announces its {@linkplain #onPlan plan}: the phases it will go through, each counted in its own unit
 * (epochs, Lloyd iterations, fine-tune steps, sample chunks) with a weight saying how long one phase takes relative to
 * the others. Progress within a phase is {@code ((epoch - 1) * stepsPerEpoch + step) / (epochs * stepsPerEpoch)}; the
 * fraction of the whole job weighs each phase's fraction by its weight, so an estimate of the time left covers every
 * phase, not only the one under way.
 */
public interface TrainingMonitor {

    /**
     * Called once before the first step (and again when a run continues from a checkpoint) with every phase the run
     * will go through, in order. A run that never calls it is one phase named {@link Phase#TRAIN}.
     */
    default void onPlan(List<Phase> phases) {
    }

    void onStep(StepProgress progress);

    void onEpoch(EpochMetrics metrics);

    /** Called once when a run continues from a checkpoint, before its first step. */
    default void onResume(int epoch, long stepInEpoch, List<EpochMetrics> history) {
    }

    /** Polled every step; a cancelled run stops within one step. */
    boolean isCancelled();

    /**
     * With {@link #isCancelled()}: the run stops because its process is shutting down and will resume elsewhere, so
     * the loop checkpoints the steps done since its last checkpoint before it stops.
     */
    default boolean isStopping() {
        return false;
    }

    /**
     * One stretch of a run's work.
     *
     * @param name what the phase does, e.g. {@code train}, {@code kmeans}, {@code fine-tune}, {@code top}
     * @param unit what one step of {@link StepProgress} counts within it, in words: {@code epochs}, {@code Lloyd
     *     iterations}, {@code fine-tune steps}, {@code chunks}
     * @param epochs passes in the phase (1 for a phase that is a single pass of {@code stepsPerEpoch} steps)
     * @param weight the phase's expected duration relative to the run's other phases (any positive scale)
     */
    record Phase(String name, String unit, int epochs, double weight) {

        /** The name of the one phase of a run that announces no plan. */
        public static final String TRAIN = "train";

        public Phase {
            if (epochs < 1 || !(weight > 0)) {
                throw new IllegalArgumentException("a phase needs epochs >= 1 and a positive weight, not " + epochs + ", " + weight);
            }
        }
    }

    /**
     * Progress after one step of a phase.
     *
     * @param phase the {@link Phase#name()} of the phase the step belongs to
     * @param epoch 1-based pass within the phase
     * @param step steps done in this pass
     * @param loss the step's loss per image, NaN where the phase has none
     * @param imagesPerSecond throughput of the pass so far (images, code maps or samples per second)
     */
    record StepProgress(String phase, int epoch, long step, long stepsPerEpoch, double loss, double imagesPerSecond) {

        /** A step of a run's only phase ({@link Phase#TRAIN}). */
        public StepProgress(int epoch, long step, long stepsPerEpoch, double loss, double imagesPerSecond) {
            this(Phase.TRAIN, epoch, step, stepsPerEpoch, loss, imagesPerSecond);
        }
    }
}
