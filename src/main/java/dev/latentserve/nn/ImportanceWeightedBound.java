package dev.latentserve.nn;

/**
 * The importance weighted bound of Burda, Grosse and Salakhutdinov (2015), equation (8), for a latent-variable model with
 * prior p(z) = N(0, I) and a diagonal Gaussian posterior q(z|x) = N(mu, diag(exp(logVar))):
 * {@code L_k = log (1/k) sum_i w_i}, with {@code w_i = p(x, z_i) / q(z_i|x)} and {@code z_i ~ q(z|x)}. {@code L_1} is
 * the one-sample estimate of the ELBO, {@code E[L_k] <= E[L_{k+1}] <= log p(x)} (their Theorem 1), and {@code L_k}
 * tends to {@code log p(x)} as k grows. This class holds the arithmetic on Java numbers: the log-weights, and their
 * log-mean-exp accumulated over chunks of draws in float64 so that k in the thousands neither overflows nor loses the
 * small weights.
 */
public final class ImportanceWeightedBound {

    private ImportanceWeightedBound() {
    }

    /**
     * {@code log p(z) - log q(z|x)} for {@code z = mu + exp(logVar / 2) * eps}, summed over the latent's dimensions: the
     * {@code log 2 pi} terms cancel and {@code (z - mu)^2 / sigma^2 = eps^2}, so it is
     * {@code sum_d (eps_d^2 - z_d^2 + logVar_d) / 2}. The noise is read from {@code epsilon[offset..offset+d)}.
     */
    public static double logPriorOverPosterior(float[] mean, float[] logVariance, float[] epsilon, int offset) {
        double sum = 0;
        for (int d = 0; d < mean.length; d++) {
            double eps = epsilon[offset + d];
            double z = mean[d] + Math.exp(0.5 * logVariance[d]) * eps;
            sum += eps * eps - z * z + logVariance[d];
        }
        return 0.5 * sum;
    }

    /** {@code nats / (dimensions * ln 2)}: bits per dimension, as image density models report their likelihoods. */
    public static double bitsPerDimension(double nats, long dimensions) {
        return nats / (dimensions * Math.log(2));
    }

    /**
     * {@code log (1/k) sum_i exp(a_i)} over values given a few at a time, held as a running maximum m and
     * {@code s = sum_i exp(a_i - m)} in float64: a new maximum rescales s by {@code exp(m_old - m_new)}, so no term ever
     * exceeds 1 and none overflows, whatever the scale of the a_i (log-weights of images are hundreds to thousands of
     * nats). Values of -infinity (a weight of 0) count towards k and add nothing; all of them give -infinity, not NaN.
     */
    public static final class LogMeanExp {

        private double max = Double.NEGATIVE_INFINITY;
        private double sum;
        private long count;
        private boolean nan;

        public void add(double value) {
            count++;
            if (Double.isNaN(value)) {
                nan = true;
            } else if (value == Double.POSITIVE_INFINITY) {
                max = value;
            } else if (value > max) {
                // exp(-inf - value) is 0: the first finite value starts the sum at 1.
                sum = sum * Math.exp(max - value) + 1;
                max = value;
            } else if (value > Double.NEGATIVE_INFINITY && max < Double.POSITIVE_INFINITY) {
                sum += Math.exp(value - max);
            }
        }

        public long count() {
            return count;
        }

        /**
         * {@code log (1/k) sum_i exp(a_i)}: NaN when no value or a NaN was added, +infinity when one was +infinity,
         * -infinity when every one was -infinity.
         */
        public double value() {
            if (nan || count == 0) {
                return Double.NaN;
            }
            if (max == Double.POSITIVE_INFINITY || max == Double.NEGATIVE_INFINITY) {
                return max;
            }
            return max + Math.log(sum) - Math.log(count);
        }
    }

    /** The mean of values given one at a time and its standard error, {@code std / sqrt(n)} with the n - 1 variance. */
    public static final class MeanAndError {

        private long count;
        private double mean;
        private double squares;

        /** Welford's update: stable for values far from 0 with a small spread. */
        public void add(double value) {
            count++;
            double delta = value - mean;
            mean += delta / count;
            squares += delta * (value - mean);
        }

        public double mean() {
            return mean;
        }

        /** NaN for fewer than two values: one draw says nothing of the spread. */
        public double standardError() {
            return count < 2 ? Double.NaN : Math.sqrt(squares / (count - 1) / count);
        }
    }
}
