package dev.latentserve.family;

import dev.latentserve.image.ImageShape;
import java.util.List;

/**
 * A model version in memory, ready to serve. Images are CHW floats in [0, 1]. Implementations are
 * safe to call from many threads; each call works in its own native-memory scope.
 */
public interface LoadedModel extends AutoCloseable {

    ImageShape shape();

    int latentDimension();

    /** Draws {@code count} latents from the prior and decodes them; the same seed gives the same images. */
    Samples sample(int count, long seed, double temperature);

    /** Posterior parameters per image; {@code z} is a draw from q(z|x) when {@code sample}, else the mean. */
    List<LatentEncoding> encode(float[][] images, boolean sample, long seed);

    float[][] decode(float[][] latents);

    /** Reconstructions from the posterior mean, with their MSE and a one-sample negative ELBO. */
    List<Reconstruction> reconstruct(float[][] images, long seed);

    @Override
    void close();

    record Samples(float[][] images, float[][] latents) {
    }

    record LatentEncoding(float[] mean, float[] logVariance, float[] z) {
    }

    record Reconstruction(float[] pixels, double mse, double negativeElbo) {
    }
}
