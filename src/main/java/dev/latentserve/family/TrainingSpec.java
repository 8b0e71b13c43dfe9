package dev.latentserve.family;

import ai.djl.Device;
import dev.latentserve.image.ImageShape;
import java.util.Map;

/** What to train: a validated architecture for an input shape, and the optimiser's settings. */
public record TrainingSpec(
        ImageShape shape,
        Map<String, Object> architecture,
        int epochs,
        int batchSize,
        double learningRate,
        long seed,
        Device device) {
}
