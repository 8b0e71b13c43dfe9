package dev.latentserve.family;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.latentserve.family.Interpolation.Method;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class InterpolationTests {

    @Test
    void bothEndsAreExactForEitherMethod() {
        float[] a = {0.1f, -2.7f, 3.3f};
        float[] b = {1e-7f, 5.5f, -0.3f};
        for (Method method : Method.values()) {
            float[][] path = Interpolation.path(a, b, 7, method);
            assertThat(path).hasNumberOfRows(7);
            assertThat(path[0]).containsExactly(a);
            assertThat(path[6]).containsExactly(b);
            assertThat(path[0]).isNotSameAs(a);
        }
    }

    @Test
    void lerpIsTheStraightLine() {
        float[][] path = Interpolation.path(new float[] {0, 10}, new float[] {4, -10}, 5, Method.LERP);
        assertThat(path[1]).containsExactly(1f, 5f);
        assertThat(path[2]).containsExactly(2f, 0f);
        assertThat(path[3]).containsExactly(3f, -5f);
    }

    @Test
    void slerpMidpointOfOrthogonalUnitVectorsIsTheirSumOverRootTwo() {
        float[] mid = Interpolation.slerp(new float[] {1, 0, 0}, new float[] {0, 1, 0}, 0.5);
        double r = 1 / Math.sqrt(2);
        assertThat(mid[0]).isCloseTo((float) r, within(1e-6f));
        assertThat(mid[1]).isCloseTo((float) r, within(1e-6f));
        assertThat(mid[2]).isZero();
        // A quarter of the way is a quarter of the right angle.
        float[] quarter = Interpolation.slerp(new float[] {1, 0}, new float[] {0, 1}, 0.25);
        assertThat(quarter[0]).isCloseTo((float) Math.cos(Math.PI / 8), within(1e-6f));
        assertThat(quarter[1]).isCloseTo((float) Math.sin(Math.PI / 8), within(1e-6f));
    }

    @Test
    void slerpKeepsTheNormBetweenVectorsOfEqualNorm() {
        SplittableRandom random = new SplittableRandom(3);
        float[] a = new float[64];
        float[] b = new float[64];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) random.nextGaussian();
            b[i] = (float) random.nextGaussian();
        }
        double scale = norm(a) / norm(b);
        for (int i = 0; i < b.length; i++) {
            b[i] *= (float) scale;
        }
        for (float[] point : Interpolation.path(a, b, 16, Method.SLERP)) {
            assertThat(norm(point)).isCloseTo(norm(a), within(1e-4 * norm(a)));
        }
        // lerp cuts the chord: its midpoint is shorter.
        assertThat(norm(Interpolation.lerp(a, b, 0.5))).isLessThan(0.9 * norm(a));
    }

    @Test
    void nearParallelAndZeroVectorsFallBackToLerpWithoutNaN() {
        float[] a = {1, 2, 3};
        float[] b = {1.0000001f, 2, 3};
        assertThat(Interpolation.slerp(a, b, 0.5)).containsExactly(Interpolation.lerp(a, b, 0.5));
        assertThat(Interpolation.slerp(a, a, 0.3)).containsExactly(a);
        float[] zero = {0, 0, 0};
        assertThat(Interpolation.slerp(zero, a, 0.5)).containsExactly(0.5f, 1f, 1.5f);
        float[] opposite = {-1, -2, -3};
        assertThat(Interpolation.slerp(a, opposite, 0.5)).containsExactly(0f, 0f, 0f);
        for (float[] point : Interpolation.path(zero, zero, 4, Method.SLERP)) {
            assertThat(point).containsExactly(0f, 0f, 0f);
        }
    }

    @Test
    void theWalkSaysWhenSlerpWasLerpAndWhy() {
        float[] a = {1, 2, 3};
        assertThat(Interpolation.lerpReason(a, new float[] {3, 1, 0})).isNull();
        assertThat(Interpolation.lerpReason(a, new float[] {2, 4, 6})).contains("same way or opposite ways");
        assertThat(Interpolation.lerpReason(new float[3], a)).contains("zero vector");
        assertThat(Interpolating.Walked.of(Method.SLERP, a, new float[] {3, 1, 0})).isEqualTo(new Interpolating.Walked(Method.SLERP, null));
        assertThat(Interpolating.Walked.of(Method.LERP, a, a)).isEqualTo(new Interpolating.Walked(Method.LERP, null));
        assertThat(Interpolating.Walked.of(Method.SLERP, a, a).method()).isEqualTo(Method.LERP);
        java.util.SequencedMap<String, Interpolating.Walked> levels = new java.util.LinkedHashMap<>();
        levels.put("top", Interpolating.Walked.of(Method.SLERP, a, a));
        levels.put("bottom", Interpolating.Walked.of(Method.SLERP, a, new float[] {3, 1, 0}));
        Interpolating.Walked partly = Interpolating.Walked.levels(Method.SLERP, levels);
        assertThat(partly.method()).isEqualTo(Method.SLERP);
        assertThat(partly.lerpReason()).startsWith("top level: the two ends point the same way");
        levels.put("bottom", Interpolating.Walked.of(Method.SLERP, new float[3], a));
        Interpolating.Walked both = Interpolating.Walked.levels(Method.SLERP, levels);
        assertThat(both.method()).isEqualTo(Method.LERP);
        assertThat(both.lerpReason()).contains("; bottom level: an end is the zero vector");
    }

    @Test
    void methodsAreNamedInAnyCaseAndOthersRefused() {
        assertThat(Method.of("SLerp")).isEqualTo(Method.SLERP);
        assertThat(Method.of("lerp")).isEqualTo(Method.LERP);
        assertThatThrownBy(() -> Method.of("cubic")).isInstanceOf(InvalidInferenceInputException.class)
                .hasMessageContaining("lerp or slerp");
    }

    private static double norm(float[] v) {
        double sum = 0;
        for (float x : v) {
            sum += (double) x * x;
        }
        return Math.sqrt(sum);
    }
}
