package dev.latentserve.serving;

import dev.latentserve.family.LoadedModel;
import dev.latentserve.image.ImageShape;
import java.util.List;

/** What the four operations return, with the model version that answered. */
public final class InferenceResults {

    private InferenceResults() {
    }

    public record Sampled(String model, int version, ImageShape shape, long seed, LoadedModel.Sampled samples) {
    }

    public record Encoded(String model, int version, LoadedModel.Encoded encoded) {
    }

    public record Decoded(String model, int version, ImageShape shape, float[][] images) {
    }

    public record Reconstructed(String model, int version, ImageShape shape, List<LoadedModel.Reconstruction> reconstructions) {
    }
}
