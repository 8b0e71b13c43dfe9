package dev.latentserve.serving;

import dev.latentserve.registry.ModelManifest;
import dev.latentserve.registry.ModelVersionDeleted;
import dev.latentserve.serving.ModelBatcher.Operation;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.context.annotation.DependsOn;
import org.springframework.context.event.EventListener;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;

/**
 * One {@link ModelBatcher} per loaded model version, with the settings in force for its model. A deleted version's
 * batcher drains and stops; at shutdown (after the web server has stopped taking requests and waited for those in
 * flight) every batcher drains within {@code drain-timeout}.
 */
@Component
// Destroyed before the loaded models: at shutdown the queues drain while their models still run. (Nothing here uses
// LoadedModels, so without this the models, created later, would close first.)
@DependsOn("loadedModels")
class ModelBatchers implements DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(ModelBatchers.class);

    private final ServingProperties properties;
    private final MeterRegistry meters;
    private final Map<String, ModelBatcher> batchers = new ConcurrentHashMap<>();
    private final ScheduledThreadPoolExecutor timeouts;

    ModelBatchers(ServingProperties properties, MeterRegistry meters) {
        this.properties = properties;
        this.meters = meters;
        this.timeouts = new ScheduledThreadPoolExecutor(1, Thread.ofPlatform().name("latentserve-inference-timeouts")
                .daemon().factory());
        // A finished request cancels its timer; without this the cancelled timers (and the results they reach) would
        // stay queued until their time came.
        timeouts.setRemoveOnCancelPolicy(true);
    }

    /**
     * Drains and stops a deleted version's queue, after the manifest cache has let go of the version and before
     * LoadedModels closes the model (it listens last): the requests still queued run on a working model.
     */
    @EventListener
    @Order(0)
    void deleted(ModelVersionDeleted deleted) {
        ModelBatcher batcher = batchers.remove(deleted.manifest().reference());
        if (batcher != null) {
            close(deleted.manifest().reference(), batcher);
        }
    }

    /** Queues a request on the version's batcher; see {@link ModelBatcher#submit}. */
    <Q, R> CompletableFuture<R> submit(ModelManifest manifest, Operation<Q, R> operation, Q request, int rows) {
        return batchers.computeIfAbsent(manifest.reference(), reference -> {
            ServingProperties.Batching settings = properties.batching(manifest.name());
            log.info("serving {} with {} worker(s), batches of up to {} rows, max batch delay {}, queue of {}", reference,
                    settings.workers(), settings.maxBatchSize(), settings.maxBatchDelay(), settings.queueCapacity());
            return new ModelBatcher(reference, manifest.name(), settings, meters, timeouts);
        }).submit(operation, request, rows);
    }

    /** See {@link ModelBatcher#refuseIfFull}; false for a version that has no queue yet. */
    boolean refuseIfFull(ModelManifest manifest, String operation) {
        ModelBatcher batcher = batchers.get(manifest.reference());
        return batcher != null && batcher.refuseIfFull(operation);
    }

    private void close(String reference, ModelBatcher batcher) {
        try {
            batcher.close(properties.drainTimeout());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            log.warn("interrupted while draining {}", reference);
        }
    }

    @Override
    public void destroy() {
        try (var closing = Executors.newVirtualThreadPerTaskExecutor()) {
            batchers.forEach((reference, batcher) -> closing.submit(() -> close(reference, batcher)));
        }
        batchers.clear();
        timeouts.shutdownNow();
    }
}
