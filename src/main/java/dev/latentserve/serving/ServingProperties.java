package dev.latentserve.serving;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Limits of the four inference operations.
 *
 * @param maxBatch the most images, latents or samples in one request
 * @param maxImageSide the largest image side accepted in a request (checked before pixels are decoded)
 * @param maxTemperature the largest sampling temperature
 * @param workersPerModel threads that run requests on one model version at the same time
 * @param queueCapacity requests that may wait for a model's workers; beyond it requests get 503 with Retry-After at once
 * @param requestTimeout how long a request may wait and run before it gets 503 and its queued work is dropped
 */
@ConfigurationProperties("latentserve.serving")
public record ServingProperties(
        @DefaultValue("256") int maxBatch,
        @DefaultValue("512") int maxImageSide,
        @DefaultValue("10") double maxTemperature,
        @DefaultValue("2") int workersPerModel,
        @DefaultValue("64") int queueCapacity,
        @DefaultValue("30s") Duration requestTimeout) {
}
