package dev.latentserve.family;

import dev.latentserve.family.Interpolation.Method;
import java.util.List;
import org.jspecify.annotations.Nullable;

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

    /**
     * @param latents one per image, in the form {@code /sample} answers and {@code /decode} takes back
     * @param walked how the path was walked: lerp where slerp was asked for and could not be walked, and why
     */
    record Interpolated(float[][] images, Latents latents, Walked walked) {
    }

    /**
     * The method a path was walked with, and why it is lerp where slerp was asked for ({@link Interpolation#lerpReason});
     * the reason is null when the method is the one asked for.
     */
    record Walked(Method method, @Nullable String lerpReason) {

        /** How {@link Interpolation#path} walks from {@code a} to {@code b} when asked for {@code method}. */
        public static Walked of(Method asked, float[] a, float[] b) {
            String reason = asked == Method.SLERP ? Interpolation.lerpReason(a, b) : null;
            return new Walked(reason == null ? asked : Method.LERP, reason);
        }

        /**
         * One path walked per level (VQ-VAE-2): lerp when every level walked lerp, else the method asked for; the reason
         * names each level that walked lerp instead of slerp.
         */
        public static Walked levels(Method asked, java.util.SequencedMap<String, Walked> levels) {
            String reasons = levels.entrySet().stream().filter(level -> level.getValue().lerpReason() != null)
                    .map(level -> level.getKey() + " level: " + level.getValue().lerpReason())
                    .collect(java.util.stream.Collectors.joining("; "));
            boolean allLerp = levels.values().stream().allMatch(level -> level.method() == Method.LERP);
            return new Walked(allLerp ? Method.LERP : asked, reasons.isEmpty() ? null : reasons);
        }
    }
}
