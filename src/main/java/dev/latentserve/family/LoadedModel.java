package dev.latentserve.family;

import dev.latentserve.image.ImageShape;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A model version in memory, ready to serve. Images are CHW floats in [0, 1]. Implementations are
 * safe to call from many threads; each call works in its own native-memory scope. Results carry the
 * latent representation of the family: Gaussian latent vectors (VAE) or integer code grids (VQ-VAE).
 *
 * <p>Every operation takes the requests of several callers at once and runs them as one engine batch
 * (dynamic batching). A request's answer depends only on its own input and seed, never on the others in
 * its batch: noise is drawn per request from its own generator, and each request's rows are sliced back
 * out. Input is checked by {@link #checkSample} and {@link #checkDecode} before a request joins a batch,
 * so that one caller's bad input cannot fail the others.
 */
public interface LoadedModel extends AutoCloseable {

    ImageShape shape();

    /** The names of a hierarchical model's code levels, which may each get a sampling temperature; empty for others. */
    default List<String> levels() {
        return List.of();
    }

    /** Sequential prior passes one sample call makes (autoregressive priors), 0 when sampling is one decoder pass. */
    default int samplingPasses() {
        return 0;
    }

    /**
     * Checks that this model can sample with these options.
     *
     * @throws NoPriorException when the model has no prior to sample from
     * @throws InvalidInferenceInputException for options the family does not take
     */
    void checkSample(SampleOptions options);

    /** @throws InvalidInferenceInputException for input that does not fit the model */
    void checkDecode(DecodeInput input);

    /** Draws images from the model's prior for each request; the same seed gives the same images. */
    List<Sampled> sample(List<SampleOptions> requests);

    List<Encoded> encode(List<EncodeCall> requests);

    /** Images for latents, codes or unquantised vectors, whichever the family takes and each input holds. */
    List<float[][]> decode(List<DecodeInput> inputs);

    /** Reconstructions with their MSE and the family's extra per-image figures, per request. */
    List<List<Reconstruction>> reconstruct(List<ReconstructCall> requests);

    default Sampled sample(SampleOptions options) {
        checkSample(options);
        return sample(List.of(options)).getFirst();
    }

    default Encoded encode(float[][] images, EncodeOptions options) {
        return encode(List.of(new EncodeCall(images, options))).getFirst();
    }

    default float[][] decode(DecodeInput input) {
        checkDecode(input);
        return decode(List.of(input)).getFirst();
    }

    default List<Reconstruction> reconstruct(float[][] images, long seed) {
        return reconstruct(List.of(new ReconstructCall(images, seed))).getFirst();
    }

    @Override
    void close();

    /**
     * @param topK sample only among the k most likely codes (autoregressive priors); null for all
     * @param levelTemperatures hierarchical priors: a temperature per level by name, overriding {@code temperature}
     */
    record SampleOptions(int count, long seed, double temperature, @Nullable Integer topK, Map<String, Double> levelTemperatures) {

        public SampleOptions(int count, long seed, double temperature, @Nullable Integer topK) {
            this(count, seed, temperature, topK, Map.of());
        }

        public SampleOptions {
            levelTemperatures = Map.copyOf(levelTemperatures);
        }

        public double temperature(String level) {
            return levelTemperatures.getOrDefault(level, temperature);
        }
    }

    /** Images with the latents (VAE), code grids (VQ-VAE) or both levels' code grids (VQ-VAE-2) they were decoded from. */
    record Sampled(float[][] images, float @Nullable [][] latents, int @Nullable [][][] codes, @Nullable LevelCodes levels) {

        public Sampled(float[][] images, float @Nullable [][] latents, int @Nullable [][][] codes) {
            this(images, latents, codes, null);
        }
    }

    /** The top and bottom code grids of several images (VQ-VAE-2), each (images, rows, columns). */
    record LevelCodes(int[][][] top, int[][][] bottom) {

        public int count() {
            return top.length;
        }

        /** One image's grids. */
        public ImageCodes image(int i) {
            return new ImageCodes(top[i], bottom[i]);
        }
    }

    /** The top and bottom code grids of one image (VQ-VAE-2). */
    record ImageCodes(int[][] top, int[][] bottom) {
    }

    /**
     * @param sample VAE: draw z from q(z|x) instead of taking the mean
     * @param includeVectors VQ-VAE: also return the encoder outputs before quantisation
     */
    record EncodeOptions(boolean sample, long seed, boolean includeVectors) {
    }

    /** One caller's images to encode, already checked against {@link #shape()}. */
    record EncodeCall(float[][] images, EncodeOptions options) {
    }

    /** One caller's images to reconstruct, already checked against {@link #shape()}, and the seed of its noise. */
    record ReconstructCall(float[][] images, long seed) {
    }

    /** Per-image posteriors (VAE), code grids and, when asked, pre-quantisation vectors (VQ-VAE), or both levels' grids. */
    record Encoded(@Nullable List<LatentEncoding> latents, int @Nullable [][][] codes, float @Nullable [][] vectors,
            @Nullable LevelCodes levels) {

        public Encoded(@Nullable List<LatentEncoding> latents, int @Nullable [][][] codes, float @Nullable [][] vectors) {
            this(latents, codes, vectors, null);
        }
    }

    record LatentEncoding(float[] mean, float[] logVariance, float[] z) {
    }

    /**
     * What to decode: latent vectors, code grids, or unquantised vectors (D x h x w, channel-major) per image, or
     * both levels' code grids (VQ-VAE-2).
     */
    record DecodeInput(@Nullable List<float[]> latents, @Nullable List<int[][]> codes, @Nullable List<float[]> vectors,
            @Nullable LevelCodes levels) {

        public DecodeInput(@Nullable List<float[]> latents, @Nullable List<int[][]> codes, @Nullable List<float[]> vectors) {
            this(latents, codes, vectors, null);
        }

        public int count() {
            return latents != null ? latents.size() : codes != null ? codes.size() : vectors != null ? vectors.size()
                    : levels != null ? levels.count() : 0;
        }
    }

    /**
     * @param negativeElbo VAE: a one-sample estimate in nats
     * @param codes VQ-VAE: the image's code grid
     * @param levels VQ-VAE-2: the image's top and bottom code grids
     */
    record Reconstruction(float[] pixels, double mse, @Nullable Double negativeElbo, int @Nullable [][] codes,
            @Nullable ImageCodes levels) {

        public Reconstruction(float[] pixels, double mse, @Nullable Double negativeElbo, int @Nullable [][] codes) {
            this(pixels, mse, negativeElbo, codes, null);
        }
    }
}
