package dev.latentserve.family;

import ai.djl.nn.Block;
import java.util.List;

/** Per-epoch history of a finished training run; the last entry is the model's final quality. */
public record TrainingResult(List<EpochMetrics> history, long parameterCount) {

    /** The result of training {@code block}, with its number of parameters (trainable or not). */
    public static TrainingResult of(List<EpochMetrics> history, Block block) {
        return new TrainingResult(history, block.getParameters().values().stream().mapToLong(p -> p.getArray().size()).sum());
    }

    public EpochMetrics last() {
        return history.getLast();
    }
}
