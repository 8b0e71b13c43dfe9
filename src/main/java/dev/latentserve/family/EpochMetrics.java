package dev.latentserve.family;

import java.util.Map;

/**
 * Losses after one epoch, per image: the training mean over the epoch and the held-out test value,
 * each with the named terms it is made of (for a VAE: reconstruction and kl, in nats).
 */
public record EpochMetrics(
        int epoch,
        double trainLoss,
        double testLoss,
        Map<String, Double> trainTerms,
        Map<String, Double> testTerms,
        double imagesPerSecond) {
}
