package dev.latentserve.jobs;

import dev.latentserve.family.EpochMetrics;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Where a running job is: epoch and step, the last step's loss, throughput and an estimate of the time
 * left (null until known); {@code history} holds the metrics of every finished epoch. After a restart,
 * {@code resumedFromEpoch} and {@code resumedFromStep} say where the last attempt continued from its checkpoint.
 */
public record JobProgress(
        int epoch,
        int epochs,
        long step,
        long stepsPerEpoch,
        @Nullable Double lastLoss,
        double imagesPerSecond,
        @Nullable Double etaSeconds,
        List<EpochMetrics> history,
        @Nullable Integer resumedFromEpoch,
        @Nullable Long resumedFromStep) {

    static JobProgress initial(int epochs) {
        return new JobProgress(0, epochs, 0, 0, null, 0, null, List.of(), null, null);
    }
}
