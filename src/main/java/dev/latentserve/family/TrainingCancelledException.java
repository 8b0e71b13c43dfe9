package dev.latentserve.family;

/** Thrown out of a training loop that saw {@link TrainingMonitor#isCancelled()}. */
public class TrainingCancelledException extends RuntimeException {

    public TrainingCancelledException() {
        super("training was cancelled");
    }
}
