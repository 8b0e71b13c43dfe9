package dev.latentserve.family;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A loaded model that can say how likely images are under it (POST /score). Like the other operations it takes the
 * requests of several callers at once; a request's answer depends only on its own images and seed.
 */
public interface Scoring {

    /**
     * Checks that this model can score with these options before a request joins a batch.
     *
     * @throws NotScorableException when the model declares nothing to score with (an imported VAE without a likelihood)
     * @throws NoPriorException when a code model has no prior over its codes
     */
    void checkScore(ScoreOptions options);

    /** Each request's scores, one per image, in order. */
    List<List<Score>> score(List<ScoreCall> requests);

    /**
     * @param samples L, the posterior draws of the negative ELBO estimate (Gaussian latents)
     * @param importanceSamples k, the draws of the importance weighted bound (Gaussian latents)
     * @param seed of every draw; the same seed gives the same scores
     */
    record ScoreOptions(int samples, int importanceSamples, long seed) {
    }

    /** One caller's images, already checked against the model's shape. */
    record ScoreCall(float[][] images, ScoreOptions options) {
    }

    /** One image's scores, by the kind of latent space. */
    sealed interface Score permits Bounds, CodeLikelihood {
    }

    /**
     * Upper bounds on {@code -log p(x)} in nats, for a model with Gaussian latents.
     *
     * @param negativeElbo the mean over L draws z ~ q(z|x) of {@code -log p(x|z) + KL(q(z|x) || N(0, I))}, the KL in
     *     closed form (as training and /reconstruct estimate it)
     * @param negativeElboStandardError the sample standard deviation of those L values over sqrt(L); null for L = 1
     * @param iwae {@code -log (1/k) sum_i p(x, z_i) / q(z_i|x)}, the importance weighted bound (Burda et al. 2015)
     */
    record Bounds(double negativeElbo, @Nullable Double negativeElboStandardError, double iwae) implements Score {
    }

    /**
     * The likelihood of an image's codes under an autoregressive prior, for a vector-quantised model.
     *
     * @param levels {@code -log p(codes)} in nats per level, by level name ("codes" for a one-level model)
     * @param total their sum: {@code -log p(codes)} of the whole hierarchy
     * @param mse the mean squared pixel error of the reconstruction from those codes
     */
    record CodeLikelihood(Map<String, Double> levels, double total, double mse) implements Score {

        public CodeLikelihood {
            levels = Collections.unmodifiableMap(new LinkedHashMap<>(levels));
        }
    }
}
