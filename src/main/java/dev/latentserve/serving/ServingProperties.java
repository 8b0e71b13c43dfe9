package dev.latentserve.serving;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Limits of the four inference operations.
 *
 * @param maxBatch the most images, latents or samples in one request
 * @param maxImageSide the largest image side accepted in a request (checked before pixels are decoded)
 * @param maxTemperature the largest sampling temperature
 */
@ConfigurationProperties("latentserve.serving")
public record ServingProperties(
        @DefaultValue("256") int maxBatch,
        @DefaultValue("512") int maxImageSide,
        @DefaultValue("10") double maxTemperature) {
}
