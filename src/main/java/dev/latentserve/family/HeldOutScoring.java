package dev.latentserve.family;

import ai.djl.Device;
import dev.latentserve.image.ImageData;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A family whose trained versions carry a summary of their test set's scores, so that /score can say where an image
 * falls among them: {@value #QUANTILES} quantiles of the one-sample negative ELBO (L = 1, k = 1) of every test image,
 * stored in the manifest's metrics under {@value #METRIC}.
 */
public interface HeldOutScoring {

    String METRIC = "testNegativeElboQuantiles";
    int QUANTILES = 101;

    /**
     * The score of each image of {@code test} under the version just written to {@code versionDir}: the one-sample
     * negative ELBO in nats, with fixed seeds, so the same version and data give the same numbers.
     */
    double[] heldOutScores(Path versionDir, Map<String, Object> architecture, ImageData test, Device device) throws IOException;

    /** The 0th, 1st, ..., 100th percentiles of {@code values}, linearly interpolated between order statistics. */
    static List<Double> quantiles(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        List<Double> quantiles = new ArrayList<>(QUANTILES);
        for (int q = 0; q < QUANTILES; q++) {
            double at = q / (QUANTILES - 1.0) * (sorted.length - 1);
            int below = (int) Math.floor(at);
            int above = Math.min(below + 1, sorted.length - 1);
            quantiles.add(sorted[below] + (at - below) * (sorted[above] - sorted[below]));
        }
        return quantiles;
    }

    /**
     * The percentage of the test set that scored better (lower) than {@code value}, read off its quantiles by linear
     * interpolation: 0 at or below the best test image, 100 at or above the worst.
     */
    static double percentile(List<? extends Number> quantiles, double value) {
        int last = quantiles.size() - 1;
        if (value <= quantiles.getFirst().doubleValue()) {
            return 0;
        }
        if (value >= quantiles.get(last).doubleValue()) {
            return 100;
        }
        int q = 0;
        while (quantiles.get(q + 1).doubleValue() <= value) {
            q++;
        }
        double low = quantiles.get(q).doubleValue();
        double high = quantiles.get(q + 1).doubleValue();
        double fraction = high > low ? (value - low) / (high - low) : 0;
        return 100.0 * (q + fraction) / last;
    }
}
