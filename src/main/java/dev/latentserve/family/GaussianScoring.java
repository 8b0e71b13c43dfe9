package dev.latentserve.family;

import dev.latentserve.family.Scoring.Bounds;
import dev.latentserve.family.Scoring.Score;
import dev.latentserve.family.Scoring.ScoreCall;
import dev.latentserve.nn.ImportanceWeightedBound;
import dev.latentserve.nn.ImportanceWeightedBound.LogMeanExp;
import dev.latentserve.nn.ImportanceWeightedBound.MeanAndError;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Scores of a batch of requests for a model with a Gaussian posterior and an N(0, I) prior: the negative ELBO over L
 * draws and the importance weighted bound over k draws per image ({@link ImportanceWeightedBound}).
 *
 * <p>The images are encoded once; then every draw z = mu + sigma * eps of every image is one decoder row, and rows run
 * through the decoder in chunks of at most {@link #CHUNK_VALUES} pixels, so memory stays bounded whatever k is. Each
 * chunk's results are folded into per-image float64 accumulators before the next chunk runs.
 *
 * <p>Noise is drawn in a fixed order from generators seeded by the request's seed: the ELBO draws image after image from
 * {@code new SplittableRandom(seed)} (for L = 1 the noise /reconstruct draws for the same seed, so the two agree), the
 * importance draws from a generator split from another one of that seed. A request's scores do not depend on the chunk
 * size or on the requests it shares a batch with.
 */
public final class GaussianScoring {

    /** The most pixel values one decoder chunk produces: 668 rows of 28x28, 2 rows of 3x256x256. */
    static final int CHUNK_VALUES = 1 << 19;

    /** What the driver needs of a model: its posterior and its likelihood, each run in a native scope of its own. */
    public interface Model {

        /** q(z|x) of each image, flattened to the latent's size, in the space where the prior is N(0, I). */
        Posteriors posteriors(float[][] images);

        /** {@code -log p(x|z)} in nats of each row's image under the decoder's answer for the row's latent. */
        double[] negativeLogLikelihood(float[][] images, float[][] latents);
    }

    /** @param means per image; @param logVariances per image */
    public record Posteriors(float[][] means, float[][] logVariances) {
    }

    private GaussianScoring() {
    }

    /** The scores of each request's images, in order. */
    public static List<List<Score>> score(Model model, List<ScoreCall> requests, int imageSize) {
        List<float[]> images = new ArrayList<>();
        requests.forEach(call -> images.addAll(List.of(call.images())));
        Posteriors posteriors = model.posteriors(images.toArray(float[][]::new));
        int latentSize = posteriors.means()[0].length;
        Chunk chunk = new Chunk(model, Math.max(1, CHUNK_VALUES / imageSize), latentSize);
        List<List<Score>> result = new ArrayList<>(requests.size());
        int image = 0;
        for (ScoreCall call : requests) {
            SplittableRandom elboNoise = new SplittableRandom(call.options().seed());
            SplittableRandom importanceNoise = new SplittableRandom(call.options().seed()).split();
            List<Accumulators> own = new ArrayList<>(call.images().length);
            for (float[] pixels : call.images()) {
                float[] mean = posteriors.means()[image];
                float[] logVariance = posteriors.logVariances()[image];
                Accumulators accumulators = new Accumulators(klToStandardNormal(mean, logVariance));
                own.add(accumulators);
                for (int l = 0; l < call.options().samples(); l++) {
                    chunk.add(pixels, mean, logVariance, elboNoise, accumulators, true);
                }
                for (int i = 0; i < call.options().importanceSamples(); i++) {
                    chunk.add(pixels, mean, logVariance, importanceNoise, accumulators, false);
                }
                image++;
            }
            result.add(List.of());
            chunk.whenDone(own, result, result.size() - 1);
        }
        chunk.flush();
        return result;
    }

    /** Closed-form {@code KL(N(mu, diag(exp(logVar))) || N(0, I))} in float64, as {@code Elbo.klToStandardNormal}. */
    static double klToStandardNormal(float[] mean, float[] logVariance) {
        double sum = 0;
        for (int d = 0; d < mean.length; d++) {
            sum += 1 + logVariance[d] - (double) mean[d] * mean[d] - Math.exp(logVariance[d]);
        }
        return -0.5 * sum;
    }

    /** One image's running figures. */
    private static final class Accumulators {

        final double kl;
        final MeanAndError negativeElbo = new MeanAndError();
        final LogMeanExp logWeights = new LogMeanExp();

        Accumulators(double kl) {
            this.kl = kl;
        }

        Bounds bounds() {
            double error = negativeElbo.standardError();
            return new Bounds(negativeElbo.mean(), Double.isNaN(error) ? null : error, -logWeights.value());
        }
    }

    /** Rows waiting for the decoder, and what to do with their answers. */
    private static final class Chunk {

        private final Model model;
        private final int capacity;
        private final int latentSize;
        private final float[][] images;
        private final float[][] latents;
        private final double[] logPriorOverPosterior;
        private final Accumulators[] owners;
        private final boolean[] elbo;
        private final List<Runnable> finished = new ArrayList<>();
        private int rows;

        Chunk(Model model, int capacity, int latentSize) {
            this.model = model;
            this.capacity = capacity;
            this.latentSize = latentSize;
            this.images = new float[capacity][];
            this.latents = new float[capacity][];
            this.logPriorOverPosterior = new double[capacity];
            this.owners = new Accumulators[capacity];
            this.elbo = new boolean[capacity];
        }

        void add(float[] pixels, float[] mean, float[] logVariance, SplittableRandom noise, Accumulators owner, boolean forElbo) {
            float[] epsilon = TrainingLoop.gaussian(noise, latentSize);
            float[] z = new float[latentSize];
            for (int d = 0; d < latentSize; d++) {
                z[d] = (float) (mean[d] + Math.exp(0.5 * logVariance[d]) * epsilon[d]);
            }
            images[rows] = pixels;
            latents[rows] = z;
            logPriorOverPosterior[rows] = forElbo ? 0 : ImportanceWeightedBound.logPriorOverPosterior(mean, logVariance, epsilon, 0);
            owners[rows] = owner;
            elbo[rows] = forElbo;
            rows++;
            if (rows == capacity) {
                flush();
            }
        }

        /** Sets a request's scores once every row queued so far has been folded in. */
        void whenDone(List<Accumulators> own, List<List<Score>> result, int index) {
            finished.add(() -> result.set(index, own.stream().<Score>map(Accumulators::bounds).toList()));
        }

        void flush() {
            if (rows > 0) {
                double[] nll = model.negativeLogLikelihood(Arrays.copyOf(images, rows),
                        Arrays.copyOf(latents, rows));
                for (int r = 0; r < rows; r++) {
                    if (elbo[r]) {
                        owners[r].negativeElbo.add(nll[r] + owners[r].kl);
                    } else {
                        owners[r].logWeights.add(-nll[r] + logPriorOverPosterior[r]);
                    }
                    images[r] = null;
                    latents[r] = null;
                    owners[r] = null;
                }
                rows = 0;
            }
            finished.forEach(Runnable::run);
            finished.clear();
        }
    }
}
