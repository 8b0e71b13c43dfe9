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

    /**
     * Checks that this model can sample with these options.
     *
     * @throws NoPriorException when the model has no prior to sample from
     * @throws InvalidInferenceInputException for options the family does not take
     */
    void checkSample(SampleOptions options);

    /**
     * Checks latents a caller sent against the model: their kind, sizes, code ranges and finiteness.
     *
     * @throws InvalidInferenceInputException for input that does not fit the model
     */
    void checkDecode(Latents input);

    /** Draws images from the model's prior for each request; the same seed gives the same images. */
    List<Sampled> sample(List<SampleOptions> requests);

    List<Encoded> encode(List<EncodeCall> requests);

    /** Images, (C*H*W) pixels in [0, 1] each, for each input's latents, codes or unquantised vectors. */
    List<float[][]> decode(List<Latents> inputs);

    /** Reconstructions with their MSE and the family's extra per-image figures, per request. */
    List<List<Reconstruction>> reconstruct(List<ReconstructCall> requests);

    default Sampled sample(SampleOptions options) {
        checkSample(options);
        return sample(List.of(options)).getFirst();
    }

    default Encoded encode(float[][] images, EncodeOptions options) {
        return encode(List.of(new EncodeCall(images, options))).getFirst();
    }

    default float[][] decode(Latents input) {
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
     * @param watch who follows the request's progress and may cancel it between positions (autoregressive priors);
     *     {@link SamplingWatch#NONE} for nobody. It never changes the codes drawn.
     */
    record SampleOptions(int count, long seed, double temperature, @Nullable Integer topK, Map<String, Double> levelTemperatures,
            SamplingWatch watch) {

        public SampleOptions(int count, long seed, double temperature, @Nullable Integer topK) {
            this(count, seed, temperature, topK, Map.of());
        }

        public SampleOptions(int count, long seed, double temperature, @Nullable Integer topK, Map<String, Double> levelTemperatures) {
            this(count, seed, temperature, topK, levelTemperatures, SamplingWatch.NONE);
        }

        public SampleOptions {
            levelTemperatures = Map.copyOf(levelTemperatures);
        }

        /** These options followed by {@code watch}. */
        public SampleOptions watchedBy(SamplingWatch watch) {
            return new SampleOptions(count, seed, temperature, topK, levelTemperatures, watch);
        }

        public double temperature(String level) {
            return levelTemperatures.getOrDefault(level, temperature);
        }
    }

    /** Images, (C*H*W) pixels in [0, 1] each, with the latents they were decoded from (one per image). */
    record Sampled(float[][] images, Latents latents) {
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

    /**
     * Per-image latents: posteriors (VAE), code grids (VQ-VAE) or both levels' grids (VQ-VAE-2).
     *
     * @param vectors VQ-VAE, when asked: the encoder outputs before quantisation
     */
    record Encoded(Latents latents, Latents.@Nullable UnquantisedVectors vectors) {
    }

    /**
     * @param pixels C*H*W in [0, 1]
     * @param mse mean squared pixel error against the input
     * @param negativeElbo VAE: a one-sample estimate in nats
     * @param codes code models: the image's codes, as latents of one image
     */
    record Reconstruction(float[] pixels, double mse, @Nullable Double negativeElbo, @Nullable Latents codes) {
    }
}
