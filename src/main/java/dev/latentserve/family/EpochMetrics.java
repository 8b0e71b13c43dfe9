package dev.latentserve.family;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Losses after one epoch, per image: the training mean over the epoch and the held-out test value,
 * each with the named terms it is made of (for a VAE: reconstruction and kl, in nats).
 *
 * @param phase the {@linkplain TrainingMonitor.Phase#name() phase} the epoch belongs to ({@code train}, {@code top},
 *     {@code bottom}, ...), so that the epochs of a run of several training loops stay apart; null in histories written
 *     before runs had phases, and for a summary over several phases
 * @param epoch 1-based pass within the phase
 * @param imagesPerSecond training throughput over the epoch (images, or code maps for a prior)
 */
public record EpochMetrics(
        @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable String phase,
        int epoch,
        double trainLoss,
        double testLoss,
        Map<String, Double> trainTerms,
        Map<String, Double> testTerms,
        double imagesPerSecond) {

    /** An epoch of no particular phase: a summary over several, or an entry of a history from before phases. */
    public EpochMetrics(int epoch, double trainLoss, double testLoss, Map<String, Double> trainTerms, Map<String, Double> testTerms,
            double imagesPerSecond) {
        this(null, epoch, trainLoss, testLoss, trainTerms, testTerms, imagesPerSecond);
    }
}
