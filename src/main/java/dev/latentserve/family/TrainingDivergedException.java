package dev.latentserve.family;

/** The loss became NaN or infinite: retrying the same settings would fail again. */
public class TrainingDivergedException extends RuntimeException {

    public TrainingDivergedException(String message) {
        super(message);
    }
}
