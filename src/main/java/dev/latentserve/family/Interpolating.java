package dev.latentserve.family;

import dev.latentserve.family.Interpolation.Method;
import java.util.List;

/**
 * A loaded model that walks between two points of its latent space and decodes each step ({@code /interpolate}). Like
 * the other operations it takes several callers' requests at once; {@link #checkInterpolate} runs on the caller's
 * thread before a request joins a batch.
 */
public interface Interpolating {

    /**
     * Checks the two ends against the model: their kind, sizes and ranges.
     *
     * @throws InvalidInferenceInputException for ends that do not fit the model, or seeds it cannot turn into latents
     */
    void checkInterpolate(Ends ends);

    /** For each call, its {@code steps} images and the latents (or codes) each was decoded from. */
    List<Interpolated> interpolate(List<InterpolateCall> calls);

    /** Where a path starts and ends. */
    sealed interface Ends {

        /** Two images, CHW in [0, 1], already checked against the model's shape. */
        record Images(float[] from, float[] to) implements Ends {
        }

        /** Two latents (or codes, or unquantised vectors) as {@code /decode} takes them. */
        record Given(Latents latents) implements Ends {
        }

        /** The latents {@code /sample} draws for one image with each seed at temperature 1. */
        record Seeds(long from, long to) implements Ends {
        }
    }

    /** @param steps points on the path, both ends included */
    record InterpolateCall(Ends ends, int steps, Method method) {
    }

    /** @param latents one per image, in the form {@code /sample} answers and {@code /decode} takes back */
    record Interpolated(float[][] images, Latents latents) {
    }
}
