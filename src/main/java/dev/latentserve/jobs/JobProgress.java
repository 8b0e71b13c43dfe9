package dev.latentserve.jobs;

import dev.latentserve.family.EpochMetrics;
import java.util.List;

/**
 * Where a running job is: epoch and step, the last step's loss, throughput and an estimate of the time
 * left; {@code history} holds the metrics of every finished epoch.
 */
public record JobProgress(
        int epoch,
        int epochs,
        long step,
        long stepsPerEpoch,
        double lastLoss,
        double imagesPerSecond,
        double etaSeconds,
        List<EpochMetrics> history) {

    static JobProgress initial(int epochs) {
        return new JobProgress(0, epochs, 0, 0, Double.NaN, 0, Double.NaN, List.of());
    }
}
