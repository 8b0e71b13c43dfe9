package dev.latentserve.serving;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Limits of {@code POST /v1/models/{model}/score}.
 *
 * @param maxSamples the most posterior draws L of the negative ELBO estimate
 * @param maxImportanceSamples the most importance samples k
 * @param defaultImportanceSamples k when a request does not say
 * @param maxDraws the most decoder passes one request may ask for, images x (L + k): bounds a request's running time
 */
@ConfigurationProperties("latentserve.serving.score")
public record ScoreProperties(
        @DefaultValue("100") int maxSamples,
        @DefaultValue("5000") int maxImportanceSamples,
        @DefaultValue("100") int defaultImportanceSamples,
        @DefaultValue("50000") int maxDraws) {
}
