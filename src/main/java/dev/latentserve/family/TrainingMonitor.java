package dev.latentserve.family;

/** Receives progress from a training loop and tells it when to stop. */
public interface TrainingMonitor {

    void onStep(StepProgress progress);

    void onEpoch(EpochMetrics metrics);

    /** Called once when a run continues from a checkpoint, before its first step. */
    default void onResume(int epoch, long stepInEpoch, java.util.List<EpochMetrics> history) {
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

    /** Progress after one optimiser step. */
    record StepProgress(int epoch, long step, long stepsPerEpoch, double loss, double imagesPerSecond) {
    }
}
