package dev.latentserve.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ElboTests {

    @Test
    void klClosedFormMatchesMonteCarloEstimate() {
        float[] mean = {0.5f, -1.2f, 0.0f, 2.0f};
        float[] logVariance = {-0.7f, 0.4f, -2.0f, 0.1f};
        try (NDManager manager = NDManager.newBaseManager()) {
            double closed = Elbo.klToStandardNormal(manager.create(mean, new Shape(1, 4)),
                    manager.create(logVariance, new Shape(1, 4))).getFloat(0);
            // KL = E_q[log q(z) - log p(z)], estimated with 400k draws z ~ q.
            SplittableRandom random = new SplittableRandom(3);
            int draws = 400_000;
            double sum = 0;
            for (int n = 0; n < draws; n++) {
                for (int d = 0; d < mean.length; d++) {
                    double sigma = Math.exp(0.5 * logVariance[d]);
                    double eps = random.nextGaussian();
                    double z = mean[d] + sigma * eps;
                    double logQ = -0.5 * eps * eps - Math.log(sigma) - 0.5 * Math.log(2 * Math.PI);
                    double logP = -0.5 * z * z - 0.5 * Math.log(2 * Math.PI);
                    sum += logQ - logP;
                }
            }
            assertThat(closed).isCloseTo(sum / draws, within(0.02));
            assertThat(closed).isCloseTo(3.55946, within(1e-4)); // by hand from -1/2 sum(1 + lv - mu^2 - e^lv)
        }
    }

    @Test
    void klIsZeroForTheStandardNormal() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray kl = Elbo.klToStandardNormal(manager.zeros(new Shape(3, 5)), manager.zeros(new Shape(3, 5)));
            assertThat(kl.toFloatArray()).containsExactly(new float[] {0f, 0f, 0f}, within(1e-7f));
        }
    }

    @Test
    void gradientsReachMeanAndLogVarianceThroughTheReparameterisedSample() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray mean = manager.create(new float[] {0.3f, -0.2f}, new Shape(1, 2));
            NDArray logVariance = manager.create(new float[] {0.1f, -0.4f}, new Shape(1, 2));
            NDArray epsilon = manager.create(new float[] {1.5f, -0.5f}, new Shape(1, 2));
            mean.setRequiresGradient(true);
            logVariance.setRequiresGradient(true);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray z = Elbo.reparameterize(mean, logVariance, epsilon);
                collector.backward(z.square().sum());
            }
            // d(z^2)/dmu = 2z; d(z^2)/dlv = 2z * eps * 0.5 * exp(lv/2)
            double z0 = 0.3 + Math.exp(0.05) * 1.5;
            double z1 = -0.2 + Math.exp(-0.2) * -0.5;
            assertThat(mean.getGradient().toFloatArray()).containsExactly(new float[] {(float) (2 * z0), (float) (2 * z1)}, within(1e-5f));
            assertThat(logVariance.getGradient().toFloatArray()).containsExactly(new float[] {
                    (float) (2 * z0 * 1.5 * 0.5 * Math.exp(0.05)), (float) (2 * z1 * -0.5 * 0.5 * Math.exp(-0.2))}, within(1e-5f));
        }
    }

    @Test
    void bernoulliNllEqualsBinaryCrossEntropyAndStaysFiniteForLargeLogits() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray logits = manager.create(new float[] {0f, 2f, -3f, 80f, -80f}, new Shape(1, 5));
            NDArray target = manager.create(new float[] {0.5f, 1f, 0f, 1f, 0f}, new Shape(1, 5));
            double expected = 0;
            float[] l = {0f, 2f, -3f, 80f, -80f};
            float[] x = {0.5f, 1f, 0f, 1f, 0f};
            for (int i = 0; i < 5; i++) {
                double p = 1 / (1 + Math.exp(-l[i]));
                double term = -(x[i] * Math.log(Math.max(p, 1e-300)) + (1 - x[i]) * Math.log(Math.max(1 - p, 1e-300)));
                expected += Double.isFinite(term) ? term : 0;
            }
            assertThat(Elbo.bernoulliNll(logits, target).getFloat(0)).isCloseTo((float) expected, within(1e-4f));
        }
    }

    @Test
    void gaussianNllMatchesTheDensity() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray mean = manager.create(new float[] {0.2f, 0.8f}, new Shape(1, 2));
            NDArray target = manager.create(new float[] {0.3f, 0.5f}, new Shape(1, 2));
            double sigma = 0.1;
            double expected = 0;
            for (double d : new double[] {0.1, -0.3}) {
                expected += 0.5 * d * d / (sigma * sigma) + Math.log(sigma) + 0.5 * Math.log(2 * Math.PI);
            }
            assertThat(Elbo.gaussianNll(mean, target, sigma).getFloat(0)).isCloseTo((float) expected, within(1e-4f));
        }
    }
}
