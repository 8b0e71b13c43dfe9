package dev.latentserve.serving;

import java.time.Duration;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Limits of the four inference operations and how requests are batched, globally and per model.
 *
 * @param maxBatch the most images, latents or samples in one request
 * @param maxImageSide the largest image side accepted in a request (checked before pixels are decoded)
 * @param strictChannels refuse encoded images whose channels differ from the model's (an RGB image for a grey model)
 *        instead of converting them; height and width must match either way
 * @param maxTemperature the largest sampling temperature, for /sample and for sample jobs alike
 * @param maxBatchSize the most rows (images, latents, samples) that queued requests of one operation are merged
 *        into for one engine call; a single request larger than this runs alone
 * @param maxBatchDelay how long the oldest queued request may wait for others to join its batch (0: run whatever
 *        is queued as soon as a worker is free)
 * @param workersPerModel threads that run batches on one model version at the same time
 * @param queueCapacity requests that may wait for a model's workers; beyond it requests get 503 with Retry-After at once
 * @param requestTimeout how long a request may wait and run before it gets 503 and its queued work is dropped
 * @param drainTimeout on shutdown or model deletion, how long queued requests may still run before they get 503
 * @param maxSyncSamples models with an autoregressive prior (one pass per code): a /sample for more samples than
 *        this is submitted as a sample job and answered 202 with the job
 * @param models per-model overrides of the batching settings, by model name
 */
@ConfigurationProperties("latentserve.serving")
public record ServingProperties(
        @DefaultValue("256") int maxBatch,
        @DefaultValue("512") int maxImageSide,
        @DefaultValue("false") boolean strictChannels,
        @DefaultValue("10") double maxTemperature,
        @DefaultValue("256") int maxBatchSize,
        @DefaultValue("0ms") Duration maxBatchDelay,
        @DefaultValue("1") int workersPerModel,
        @DefaultValue("256") int queueCapacity,
        @DefaultValue("30s") Duration requestTimeout,
        @DefaultValue("20s") Duration drainTimeout,
        @DefaultValue("64") int maxSyncSamples,
        @DefaultValue Map<String, ModelBatching> models) {

    /** Overrides for one model; an unset value takes the global one. */
    public record ModelBatching(@Nullable Integer maxBatchSize, @Nullable Duration maxBatchDelay, @Nullable Integer workers,
            @Nullable Integer queueCapacity) {
    }

    /** The batching settings in force for {@code model}. */
    Batching batching(String model) {
        ModelBatching own = models.get(model);
        if (own == null) {
            return new Batching(maxBatchSize, maxBatchDelay, workersPerModel, queueCapacity, requestTimeout);
        }
        return new Batching(or(own.maxBatchSize(), maxBatchSize), or(own.maxBatchDelay(), maxBatchDelay),
                or(own.workers(), workersPerModel), or(own.queueCapacity(), queueCapacity), requestTimeout);
    }

    private static <T> T or(@Nullable T value, T fallback) {
        return value == null ? fallback : value;
    }

    record Batching(int maxBatchSize, Duration maxBatchDelay, int workers, int queueCapacity, Duration requestTimeout) {

        Batching {
            if (maxBatchSize < 1 || workers < 1 || queueCapacity < 1 || maxBatchDelay.isNegative()) {
                throw new IllegalArgumentException("latentserve.serving: max-batch-size, workers and queue-capacity must be at "
                        + "least 1 and max-batch-delay not negative");
            }
        }
    }
}
