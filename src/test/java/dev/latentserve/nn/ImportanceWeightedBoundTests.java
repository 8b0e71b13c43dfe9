package dev.latentserve.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.latentserve.nn.ImportanceWeightedBound.LogMeanExp;
import dev.latentserve.nn.ImportanceWeightedBound.MeanAndError;
import org.junit.jupiter.api.Test;

class ImportanceWeightedBoundTests {

    private static double logMeanExp(double... values) {
        LogMeanExp accumulator = new LogMeanExp();
        for (double value : values) {
            accumulator.add(value);
        }
        return accumulator.value();
    }

    @Test
    void logMeanExpOfSmallValuesIsTheDirectFormula() {
        assertThat(logMeanExp(0.5, -1.0, 2.0)).isCloseTo(Math.log((Math.exp(0.5) + Math.exp(-1) + Math.exp(2)) / 3), within(1e-14));
        assertThat(logMeanExp(3.0)).isEqualTo(3.0);
    }

    @Test
    void logMeanExpNeverOverflowsWithLogWeightsOfTenThousand() {
        // exp(1e4) overflows a double; shifted by the maximum it does not.
        assertThat(logMeanExp(1e4, 1e4)).isCloseTo(1e4, within(1e-9));
        assertThat(logMeanExp(-1e4, 1e4)).isCloseTo(1e4 - Math.log(2), within(1e-9));
        assertThat(logMeanExp(1e4, -1e4)).isCloseTo(1e4 - Math.log(2), within(1e-9));
        assertThat(logMeanExp(-1e4, -1e4 + Math.log(3))).isCloseTo(-1e4 + Math.log(2), within(1e-9));
        // A rising sequence rescales the running sum at each new maximum.
        double[] rising = new double[5000];
        for (int i = 0; i < rising.length; i++) {
            rising[i] = -1e4 + 4 * i;
        }
        assertThat(logMeanExp(rising)).isCloseTo(rising[4999] - Math.log(1 - Math.exp(-4)) - Math.log(5000), within(1e-9));
    }

    @Test
    void weightsOfZeroCountButAddNothing() {
        double minusInfinity = Double.NEGATIVE_INFINITY;
        assertThat(logMeanExp(minusInfinity, minusInfinity)).isEqualTo(minusInfinity);
        assertThat(logMeanExp(minusInfinity, 2.0)).isCloseTo(2.0 - Math.log(2), within(1e-14));
        assertThat(logMeanExp(2.0, minusInfinity)).isCloseTo(2.0 - Math.log(2), within(1e-14));
        assertThat(logMeanExp(Double.POSITIVE_INFINITY, 1.0)).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(logMeanExp(1.0, Double.NaN)).isNaN();
        assertThat(new LogMeanExp().value()).isNaN();
    }

    @Test
    void logPriorOverPosteriorIsTheRatioOfTheTwoDensities() {
        float[] mean = {0.3f, -1.5f};
        float[] logVariance = {-0.8f, 0.6f};
        float[] eps = {0.0f, 1.2f, -0.7f};
        double expected = 0;
        for (int d = 0; d < 2; d++) {
            double sigma = Math.exp(0.5 * logVariance[d]);
            double z = mean[d] + sigma * eps[d + 1];
            expected += (-0.5 * z * z) - (-0.5 * eps[d + 1] * eps[d + 1] - Math.log(sigma));
        }
        assertThat(ImportanceWeightedBound.logPriorOverPosterior(mean, logVariance, eps, 1)).isCloseTo(expected, within(1e-12));
    }

    @Test
    void meanAndStandardErrorByHand() {
        MeanAndError values = new MeanAndError();
        values.add(1e4 + 1);
        assertThat(values.standardError()).isNaN();
        values.add(1e4 + 3);
        values.add(1e4 + 5);
        assertThat(values.mean()).isCloseTo(1e4 + 3, within(1e-9));
        // Sample variance 4, so the standard error is sqrt(4 / 3).
        assertThat(values.standardError()).isCloseTo(Math.sqrt(4.0 / 3), within(1e-9));
        assertThat(ImportanceWeightedBound.bitsPerDimension(784 * Math.log(2), 784)).isCloseTo(1.0, within(1e-12));
    }
}
