package dev.latentserve.serving;

import dev.latentserve.family.LoadedModel;
import dev.latentserve.image.ImageShape;
import dev.latentserve.jobs.Job;
import java.util.List;

/** What the four operations return, with the model version that answered. */
public final class InferenceResults {

    private InferenceResults() {
    }

    /** What /sample answers: samples, or a sample job for a request too long to answer at once. */
    public sealed interface SampleOutcome permits Sampled, SampleJob {
    }

    public record Sampled(String model, int version, ImageShape shape, long seed, LoadedModel.Sampled samples)
            implements SampleOutcome {
    }

    public record SampleJob(Job job) implements SampleOutcome {
    }

    public record Encoded(String model, int version, LoadedModel.Encoded encoded) {
    }

    public record Decoded(String model, int version, ImageShape shape, float[][] images) {
    }

    public record Reconstructed(String model, int version, ImageShape shape, List<LoadedModel.Reconstruction> reconstructions) {
    }
}
