package dev.latentserve.family;

import dev.latentserve.image.ImageShape;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A model version in memory, ready to serve. Images are CHW floats in [0, 1]. Implementations are
 * safe to call from many threads; each call works in its own native-memory scope. Results carry the
 * latent representation of the family: Gaussian latent vectors (VAE) or integer code grids (VQ-VAE).
 *
 * @throws dev.latentserve.family.InvalidInferenceInputException (from the methods) for input that does not fit
 */
public interface LoadedModel extends AutoCloseable {

    ImageShape shape();

    /**
     * Draws images from the model's prior; the same seed gives the same images.
     *
     * @throws NoPriorException when the model has no prior to sample from
     */
    Sampled sample(SampleOptions options);

    Encoded encode(float[][] images, EncodeOptions options);

    /** Images for latents, codes or unquantised vectors, whichever the family takes and the input holds. */
    float[][] decode(DecodeInput input);

    /** Reconstructions with their MSE and the family's extra per-image figures. */
    List<Reconstruction> reconstruct(float[][] images, long seed);

    @Override
    void close();

    /** @param topK sample only among the k most likely codes (autoregressive priors); null for all */
    record SampleOptions(int count, long seed, double temperature, @Nullable Integer topK) {
    }

    /** Images with the latents (VAE) or code grids (VQ-VAE) they were decoded from. */
    record Sampled(float[][] images, float @Nullable [][] latents, int @Nullable [][][] codes) {
    }

    /**
     * @param sample VAE: draw z from q(z|x) instead of taking the mean
     * @param includeVectors VQ-VAE: also return the encoder outputs before quantisation
     */
    record EncodeOptions(boolean sample, long seed, boolean includeVectors) {
    }

    /** Per-image posteriors (VAE) or code grids and, when asked, pre-quantisation vectors (VQ-VAE). */
    record Encoded(@Nullable List<LatentEncoding> latents, int @Nullable [][][] codes, float @Nullable [][] vectors) {
    }

    record LatentEncoding(float[] mean, float[] logVariance, float[] z) {
    }

    /** What to decode: latent vectors, code grids, or unquantised vectors (D x h x w, channel-major) per image. */
    record DecodeInput(@Nullable List<float[]> latents, @Nullable List<int[][]> codes, @Nullable List<float[]> vectors) {

        public int count() {
            return latents != null ? latents.size() : codes != null ? codes.size() : vectors != null ? vectors.size() : 0;
        }
    }

    /** @param negativeElbo VAE: a one-sample estimate in nats; @param codes VQ-VAE: the image's code grid */
    record Reconstruction(float[] pixels, double mse, @Nullable Double negativeElbo, int @Nullable [][] codes) {
    }
}
