package dev.latentserve.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * k-means for codebooks: k-means++ seeding (Arthur and Vassilvitskii 2007: each next centre drawn with
 * probability proportional to the squared distance to the nearest centre so far), then Lloyd iterations
 * (assign each point to its nearest centre, move each centre to the mean of its points) until the assignments
 * stop changing or the iteration bound is reached. A centre that loses all its points keeps its place.
 */
public final class KMeans {

    private KMeans() {
    }

    /**
     * @param centroids k x D, row-major
     * @param objectives the mean squared distance to the nearest centre after seeding and after each iteration
     */
    public record Result(float[] centroids, List<Double> objectives, int iterations) {

        public double initialObjective() {
            return objectives.getFirst();
        }

        public double finalObjective() {
            return objectives.getLast();
        }
    }

    /** Told after each Lloyd iteration; it may stop the fit by throwing, which closes the fit's arrays. */
    @FunctionalInterface
    public interface IterationListener {

        /**
         * @param iteration Lloyd iterations done, from 1
         * @param objective the mean squared distance of the points to their nearest centre after it
         */
        void afterIteration(int iteration, double objective);
    }

    /**
     * Clusters the rows of {@code points} (M x D), telling {@code listener} after each Lloyd iteration; all work happens in
     * a scope closed before returning.
     */
    public static Result fit(NDArray points, int k, int maxIterations, SplittableRandom random, IterationListener listener) {
        long m = points.getShape().get(0);
        if (m < k) {
            throw new IllegalArgumentException("k-means needs at least k = " + k + " points, got " + m);
        }
        try (NDManager scope = points.getManager().newSubManager()) {
            NDArray x = points.duplicate();
            x.attach(scope);
            NDArray centroids = seed(x, k, random, scope);
            List<Double> objectives = new ArrayList<>();
            NDArray assignment = null;
            int iterations = 0;
            objectives.add(objective(x, centroids));
            for (; iterations < maxIterations; iterations++) {
                NDArray next = VectorQuantizer.nearest(x, centroids);
                if (assignment != null && next.eq(assignment).all().getBoolean()) {
                    break;
                }
                assignment = next;
                NDArray oneHot = assignment.oneHot(k).toType(DataType.FLOAT32, false);
                NDArray counts = oneHot.sum(new int[] {0}).reshape(k, 1);
                NDArray sums = oneHot.transpose().matMul(x);
                NDArray empty = counts.eq(0).toType(DataType.FLOAT32, false);
                // Empty clusters: keep the old centre (sum 0 / count 1 plus the old centre).
                centroids = sums.div(counts.add(empty)).add(centroids.mul(empty));
                objectives.add(objective(x, centroids));
                listener.afterIteration(iterations + 1, objectives.getLast());
            }
            return new Result(centroids.toFloatArray(), objectives, iterations);
        }
    }

    private static NDArray seed(NDArray x, int k, SplittableRandom random, NDManager scope) {
        long m = x.getShape().get(0);
        int dimension = (int) x.getShape().get(1);
        float[] all = x.toFloatArray();
        float[] centres = new float[k * dimension];
        int first = random.nextInt((int) m);
        System.arraycopy(all, first * dimension, centres, 0, dimension);
        NDArray nearest = squaredDistances(x, scope.create(centres, new Shape(k, dimension)).get("0:1"));
        for (int c = 1; c < k; c++) {
            float[] weights = nearest.toFloatArray();
            int chosen = drawProportional(weights, random);
            System.arraycopy(all, chosen * dimension, centres, c * dimension, dimension);
            NDArray centre = scope.create(java.util.Arrays.copyOfRange(centres, c * dimension, (c + 1) * dimension),
                    new Shape(1, dimension));
            nearest = nearest.minimum(squaredDistances(x, centre));
        }
        return scope.create(centres, new Shape(k, dimension));
    }

    /** Squared distance of every row of x to the single centre (1 x D), as a vector of M. */
    private static NDArray squaredDistances(NDArray x, NDArray centre) {
        return x.sub(centre).square().sum(new int[] {1});
    }

    private static int drawProportional(float[] weights, SplittableRandom random) {
        double total = 0;
        for (float w : weights) {
            total += w;
        }
        if (!(total > 0)) {
            return random.nextInt(weights.length);
        }
        double target = random.nextDouble() * total;
        double cumulative = 0;
        for (int i = 0; i < weights.length; i++) {
            cumulative += weights[i];
            if (cumulative >= target) {
                return i;
            }
        }
        return weights.length - 1;
    }

    /** Mean squared distance of the points to their nearest centre. */
    static double objective(NDArray x, NDArray centroids) {
        NDArray distances = x.square().sum(new int[] {1}, true)
                .sub(x.matMul(centroids.transpose()).mul(2))
                .add(centroids.square().sum(new int[] {1}).reshape(1, -1));
        return distances.min(new int[] {1}).maximum(0).mean().getFloat();
    }
}
