package dev.latentserve.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class KMeansTests {

    private static final float[][] CENTRES = {{0, 0}, {10, 0}, {0, 10}};

    @Test
    void lloydNeverRaisesTheObjectiveAndFindsTheClusters() {
        SplittableRandom random = new SplittableRandom(5);
        float[] points = new float[3 * 200 * 2];
        for (int i = 0; i < 600; i++) {
            float[] centre = CENTRES[i % 3];
            points[2 * i] = centre[0] + (float) random.nextGaussian() * 0.5f;
            points[2 * i + 1] = centre[1] + (float) random.nextGaussian() * 0.5f;
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.create(points, new Shape(600, 2));
            List<Double> told = new ArrayList<>();
            KMeans.Result result = KMeans.fit(x, 3, 50, new SplittableRandom(1), (iteration, objective) -> {
                assertThat(iteration).isEqualTo(told.size() + 1);
                told.add(objective);
            });
            List<Double> objectives = result.objectives();
            assertThat(told).hasSize(result.iterations()).isEqualTo(objectives.subList(1, objectives.size()));
            for (int i = 1; i < objectives.size(); i++) {
                assertThat(objectives.get(i)).isLessThanOrEqualTo(objectives.get(i - 1) + 1e-6);
            }
            // Each point is about 2 * 0.25 = 0.5 squared units from its true centre.
            assertThat(result.finalObjective()).isCloseTo(0.5, within(0.1));
            List<float[]> found = new ArrayList<>();
            for (int c = 0; c < 3; c++) {
                found.add(new float[] {result.centroids()[2 * c], result.centroids()[2 * c + 1]});
            }
            for (float[] centre : CENTRES) {
                assertThat(found).anySatisfy(f -> {
                    assertThat(f[0]).isCloseTo(centre[0], within(0.2f));
                    assertThat(f[1]).isCloseTo(centre[1], within(0.2f));
                });
            }
        }
    }

    @Test
    void lloydLowersAPoorStart() {
        SplittableRandom random = new SplittableRandom(2);
        float[] points = new float[2000];
        for (int i = 0; i < points.length; i++) {
            points[i] = (float) random.nextGaussian();
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            KMeans.Result result = KMeans.fit(manager.create(points, new Shape(500, 4)), 8, 30, new SplittableRandom(3),
                    (iteration, objective) -> {
                    });
            assertThat(result.finalObjective()).isLessThan(result.initialObjective());
            assertThat(result.iterations()).isPositive();
        }
    }

    @Test
    void aListenerThatThrowsStopsTheFitAfterItsIteration() {
        SplittableRandom random = new SplittableRandom(4);
        float[] points = new float[800];
        for (int i = 0; i < points.length; i++) {
            points[i] = (float) random.nextGaussian();
        }
        List<Integer> iterations = new ArrayList<>();
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.create(points, new Shape(200, 4));
            assertThatThrownBy(() -> KMeans.fit(x, 8, 30, new SplittableRandom(5), (iteration, objective) -> {
                iterations.add(iteration);
                if (iteration == 2) {
                    throw new IllegalStateException("stop");
                }
            })).hasMessage("stop");
            assertThat(iterations).containsExactly(1, 2);
        }
    }
}
