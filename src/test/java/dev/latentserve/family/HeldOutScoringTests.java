package dev.latentserve.family;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class HeldOutScoringTests {

    @Test
    void quantilesOfOneToOneHundredAndOneAreTheValuesThemselves() {
        double[] values = new double[101];
        for (int i = 0; i < values.length; i++) {
            values[i] = 101 - i;
        }
        List<Double> quantiles = HeldOutScoring.quantiles(values);
        assertThat(quantiles).hasSize(101);
        for (int q = 0; q <= 100; q++) {
            assertThat(quantiles.get(q)).isCloseTo(q + 1.0, within(1e-12));
        }
        assertThat(HeldOutScoring.percentile(quantiles, 0.5)).isEqualTo(0.0);
        assertThat(HeldOutScoring.percentile(quantiles, 1000)).isEqualTo(100.0);
        assertThat(HeldOutScoring.percentile(quantiles, 51)).isCloseTo(50.0, within(1e-12));
        assertThat(HeldOutScoring.percentile(quantiles, 51.25)).isCloseTo(50.25, within(1e-12));
    }

    @Test
    void fewValuesAreInterpolatedAndTiesDoNotDivideByZero() {
        List<Double> quantiles = HeldOutScoring.quantiles(new double[] {10, 20, 20});
        assertThat(quantiles.getFirst()).isEqualTo(10.0);
        assertThat(quantiles.get(25)).isCloseTo(15.0, within(1e-12));
        assertThat(quantiles.getLast()).isEqualTo(20.0);
        assertThat(HeldOutScoring.percentile(quantiles, 15)).isCloseTo(25.0, within(1e-12));
        assertThat(HeldOutScoring.percentile(quantiles, 20)).isEqualTo(100.0);
        assertThat(HeldOutScoring.quantiles(new double[] {7})).containsOnly(7.0);
    }
}
