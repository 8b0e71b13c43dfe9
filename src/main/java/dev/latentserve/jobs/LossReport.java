package dev.latentserve.jobs;

import dev.latentserve.family.EpochMetrics;
import dev.latentserve.family.TrainingResult;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The losses of a finished training or prior fit, named {@code test<Loss>} and {@code train<Loss>} after the
 * family's loss (e.g. {@code testNegativeElbo}).
 *
 * @param lossName the loss's name, e.g. {@code negativeElbo}
 * @param unit the loss's unit, in words
 */
record LossReport(TrainingResult result, String lossName, String unit) {

    /** The manifest's {@code metrics}: final test loss and its terms, final train loss, the size and the history. */
    Map<String, Object> manifestMetrics() {
        EpochMetrics last = result.last();
        Map<String, Object> metrics = new LinkedHashMap<>();
        metrics.put("unit", unit);
        metrics.put("test" + capitalized(), last.testLoss());
        metrics.put("testTerms", last.testTerms());
        metrics.put("train" + capitalized(), last.trainLoss());
        metrics.put("parameters", result.parameterCount());
        metrics.put("history", new ArrayList<>(result.history()));
        return metrics;
    }

    /** What the job shows once it has succeeded: the unit and the final test and train loss. */
    Map<String, Object> figures() {
        EpochMetrics last = result.last();
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("unit", unit);
        figures.put("test" + capitalized(), last.testLoss());
        figures.put("train" + capitalized(), last.trainLoss());
        return figures;
    }

    private String capitalized() {
        return Character.toUpperCase(lossName.charAt(0)) + lossName.substring(1);
    }
}
