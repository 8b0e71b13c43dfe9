package dev.latentserve.family;

import java.util.List;

/** Per-epoch history of a finished training run; the last entry is the model's final quality. */
public record TrainingResult(List<EpochMetrics> history, long parameterCount) {

    public EpochMetrics last() {
        return history.getLast();
    }
}
