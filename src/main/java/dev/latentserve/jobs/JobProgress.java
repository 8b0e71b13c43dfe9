package dev.latentserve.jobs;

import dev.latentserve.family.EpochMetrics;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Where a job is: the phase under way and, within it, epoch and step, the last step's loss, throughput; how much of
 * the whole job is done and an estimate of the time left for all of it (null until known, 0 once SUCCEEDED);
 * {@code history} holds the metrics of every finished epoch. After a restart, {@code resumedFromEpoch} and
 * {@code resumedFromStep} say where the last attempt continued from its checkpoint.
 *
 * @param epochs passes in the current phase
 * @param phase the phase under way (null in progress recorded before jobs had phases)
 * @param unit what the current phase's steps count, in words
 * @param phases every phase of the job in order, with how much of each is done
 * @param fraction how much of the whole job is done, each phase weighted by its expected share of the time
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
        @Nullable Long resumedFromStep,
        @Nullable String phase,
        @Nullable String unit,
        List<PhaseProgress> phases,
        @Nullable Double fraction) {

    public JobProgress {
        history = history == null ? List.of() : List.copyOf(history);
        phases = phases == null ? List.of() : List.copyOf(phases);
    }

    /**
     * One phase of a job.
     *
     * @param unit what its steps count, in words (epochs, Lloyd iterations, fine-tune steps, positions)
     * @param epochs passes in the phase
     * @param done the fraction of the phase done, 0 to 1
     */
    @Schema(description = "One phase of a job and how much of it is done")
    public record PhaseProgress(String name, String unit, int epochs, double done) {
    }
}
