package dev.latentserve.family;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.latentserve.family.Scoring.Bounds;
import dev.latentserve.family.Scoring.ScoreCall;
import dev.latentserve.family.Scoring.ScoreOptions;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The bounds on a linear-Gaussian model, whose evidence is known in closed form: p(z) = N(0, I) in 2 dimensions,
 * p(x|z) = N(Wz + b, s^2 I) in 3, so p(x) = N(b, W W^T + s^2 I). The posterior q is a deliberately poor Gaussian (the
 * exact one, mean (0.29, 0.96) and log-variance (-1.34, -1.63), would make every importance weight equal and the bound
 * exact at k = 1). At k = 5000 the bound's spread over seeds is about 0.008 nats and its bias 0.004 (NumPy, 20 seeds).
 */
class GaussianScoringTests {

    private static final double[][] W = {{1.0, 0.5}, {-0.3, 0.8}, {0.6, -1.1}};
    private static final double[] B = {0.2, -0.1, 0.4};
    private static final double S = 0.7;
    private static final float[] X = {1.3f, 0.4f, -0.9f};
    private static final float[] Q_MEAN = {0.5f, 0.8f};
    private static final float[] Q_LOG_VARIANCE = {-0.9f, -1.1f};

    /** The model with q fixed; {@code imageSize} only sets the chunk size (CHUNK_VALUES / imageSize rows). */
    private static final GaussianScoring.Model LINEAR = new GaussianScoring.Model() {
        @Override
        public GaussianScoring.Posteriors posteriors(float[][] images) {
            float[][] means = new float[images.length][];
            float[][] logVariances = new float[images.length][];
            for (int i = 0; i < images.length; i++) {
                means[i] = Q_MEAN.clone();
                logVariances[i] = Q_LOG_VARIANCE.clone();
            }
            return new GaussianScoring.Posteriors(means, logVariances);
        }

        @Override
        public double[] negativeLogLikelihood(float[][] images, float[][] latents) {
            double[] nll = new double[images.length];
            for (int r = 0; r < images.length; r++) {
                nll[r] = -logLikelihood(images[r], latents[r]);
            }
            return nll;
        }
    };

    static double logLikelihood(float[] x, float[] z) {
        double sum = 0;
        for (int i = 0; i < x.length; i++) {
            double mean = B[i] + W[i][0] * z[0] + W[i][1] * z[1];
            double r = (x[i] - mean) / S;
            sum += -0.5 * r * r - Math.log(S) - 0.5 * Math.log(2 * Math.PI);
        }
        return sum;
    }

    /** log N(x; b, W W^T + s^2 I) by a Cholesky factorisation of the 3x3 covariance. */
    static double logEvidence(float[] x) {
        int n = 3;
        double[][] c = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                c[i][j] = W[i][0] * W[j][0] + W[i][1] * W[j][1] + (i == j ? S * S : 0);
            }
        }
        double[][] l = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                double sum = c[i][j];
                for (int k = 0; k < j; k++) {
                    sum -= l[i][k] * l[j][k];
                }
                l[i][j] = i == j ? Math.sqrt(sum) : sum / l[j][j];
            }
        }
        double[] y = new double[n];
        double logDet = 0;
        double quadratic = 0;
        for (int i = 0; i < n; i++) {
            double sum = x[i] - B[i];
            for (int k = 0; k < i; k++) {
                sum -= l[i][k] * y[k];
            }
            y[i] = sum / l[i][i];
            quadratic += y[i] * y[i];
            logDet += 2 * Math.log(l[i][i]);
        }
        return -0.5 * (quadratic + logDet + n * Math.log(2 * Math.PI));
    }

    private static Bounds score(int samples, int k, long seed, int imageSize) {
        ScoreCall call = new ScoreCall(new float[][] {X}, new ScoreOptions(samples, k, seed));
        return (Bounds) GaussianScoring.score(LINEAR, List.of(call), imageSize).getFirst().getFirst();
    }

    @Test
    void theBoundReachesTheClosedFormEvidenceAtLargeK() {
        double negativeLogEvidence = -logEvidence(X);
        Bounds bounds = score(1000, 5000, 11, 3);
        assertThat(bounds.iwae()).isCloseTo(negativeLogEvidence, within(0.03));
        // The ELBO is looser than the evidence by KL(q || p(z|x)), 0.37 nats for this q.
        assertThat(bounds.negativeElbo()).isCloseTo(negativeLogEvidence + 0.37, within(0.05));
    }

    @Test
    void oneImportanceSampleIsTheOneSampleElboForTheSameNoise() {
        long seed = 5;
        // The importance draws come from a generator split from a fresh one of the seed.
        float[] eps = TrainingLoop.gaussian(new SplittableRandom(seed).split(), 2);
        float[] z = new float[2];
        double logQ = 0;
        double logP = 0;
        for (int d = 0; d < 2; d++) {
            double sigma = Math.exp(0.5 * Q_LOG_VARIANCE[d]);
            z[d] = (float) (Q_MEAN[d] + sigma * eps[d]);
            logQ += -0.5 * eps[d] * eps[d] - Math.log(sigma) - 0.5 * Math.log(2 * Math.PI);
            logP += -0.5 * z[d] * z[d] - 0.5 * Math.log(2 * Math.PI);
        }
        double oneSampleElbo = logLikelihood(X, z) + logP - logQ;
        assertThat(score(1, 1, seed, 3).iwae()).isCloseTo(-oneSampleElbo, within(1e-5));
    }

    @Test
    void theBoundTightensWithKOnAverage() {
        int seeds = 200;
        double[] ks = {1, 10, 100};
        double[] mean = new double[ks.length];
        for (int j = 0; j < ks.length; j++) {
            for (long seed = 0; seed < seeds; seed++) {
                mean[j] += score(1, (int) ks[j], seed, 3).iwae() / seeds;
            }
        }
        double negativeLogEvidence = -logEvidence(X);
        assertThat(mean[0]).isGreaterThan(mean[1] + 0.05);
        assertThat(mean[1]).isGreaterThan(mean[2]);
        assertThat(mean[2]).isGreaterThan(negativeLogEvidence - 0.01);
    }

    @Test
    void theNegativeElboIsTheClosedFormExpectationWithItsStandardError() {
        // E_q[-log p(x|z)] = (|x - W mu - b|^2 + tr(W Sigma W^T)) / (2 s^2) + 3 log s + 3/2 log 2 pi; plus KL(q || N(0, I)).
        double expected = 0;
        for (int i = 0; i < 3; i++) {
            double r = X[i] - B[i] - W[i][0] * Q_MEAN[0] - W[i][1] * Q_MEAN[1];
            double trace = W[i][0] * W[i][0] * Math.exp(Q_LOG_VARIANCE[0]) + W[i][1] * W[i][1] * Math.exp(Q_LOG_VARIANCE[1]);
            expected += (r * r + trace) / (2 * S * S) + Math.log(S) + 0.5 * Math.log(2 * Math.PI);
        }
        expected += GaussianScoring.klToStandardNormal(Q_MEAN, Q_LOG_VARIANCE);
        Bounds bounds = score(4000, 1, 3, 3);
        assertThat(bounds.negativeElboStandardError()).isNotNull().isBetween(0.005, 0.1);
        assertThat(bounds.negativeElbo()).isCloseTo(expected, within(4 * bounds.negativeElboStandardError()));
        assertThat(score(1, 1, 3, 3).negativeElboStandardError()).isNull();
    }

    @Test
    void scoresDoNotDependOnTheChunkSizeOrTheOtherRequestsOfTheBatch() {
        Bounds alone = score(7, 300, 21, 3);
        // One row per chunk, then everything in one chunk.
        assertThat(score(7, 300, 21, GaussianScoring.CHUNK_VALUES)).isEqualTo(alone);
        assertThat(score(7, 300, 21, 1)).isEqualTo(alone);
        ScoreCall other = new ScoreCall(new float[][] {{0f, 0f, 0f}, X}, new ScoreOptions(3, 50, 99));
        ScoreCall own = new ScoreCall(new float[][] {X}, new ScoreOptions(7, 300, 21));
        var batch = GaussianScoring.score(LINEAR, List.of(other, own), 3);
        assertThat(batch.get(1).getFirst()).isEqualTo(alone);
        assertThat(batch.get(0)).hasSize(2);
        assertThat(batch.get(0).get(1)).isNotEqualTo(alone);
    }
}
