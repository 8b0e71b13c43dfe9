package dev.latentserve.registry;

import ai.djl.Device;
import dev.latentserve.family.LoadedModel;
import dev.latentserve.family.ModelFamilies;
import dev.latentserve.family.ModelFamily;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.context.event.EventListener;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;

/**
 * Model versions loaded into the engine, each loaded once however many requests ask at the same
 * time, and closed when its version is deleted or the application stops.
 */
@Component
public class LoadedModels implements DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(LoadedModels.class);

    private final ModelRegistry registry;
    private final ModelFamilies families;
    private final Device device;
    private final Map<String, CompletableFuture<LoadedModel>> loaded = new ConcurrentHashMap<>();

    LoadedModels(ModelRegistry registry, ModelFamilies families, Device engineDevice) {
        this.registry = registry;
        this.families = families;
        this.device = engineDevice;
    }

    /** The version in memory, loading it on first use. */
    public LoadedModel get(ModelManifest manifest) {
        CompletableFuture<LoadedModel> future = loaded.computeIfAbsent(manifest.reference(),
                key -> CompletableFuture.supplyAsync(() -> load(manifest), Runnable::run));
        try {
            return future.join();
        } catch (CompletionException e) {
            loaded.remove(manifest.reference(), future);
            throw e.getCause() instanceof RuntimeException runtime ? runtime : e;
        }
    }

    private LoadedModel load(ModelManifest manifest) {
        ModelFamily family = families.find(manifest.family()).orElseThrow(() -> new IllegalStateException(
                "model " + manifest.reference() + " has family '" + manifest.family() + "', which this server does not know"));
        long start = System.nanoTime();
        try {
            LoadedModel model = family.load(registry.directory(manifest), manifest.inputShape(), manifest.architecture(), device);
            log.info("loaded model {} ({}) on {} in {} ms", manifest.reference(), manifest.family(), device,
                    (System.nanoTime() - start) / 1_000_000);
            return model;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Closes a deleted version. Last of the deletion's listeners: whatever runs requests on a loaded model (the serving
     * queues) listens with a higher precedence and has drained before the model closes under it.
     */
    @EventListener
    @Order(Ordered.LOWEST_PRECEDENCE)
    void evict(ModelVersionDeleted deleted) {
        ModelManifest manifest = deleted.manifest();
        CompletableFuture<LoadedModel> future = loaded.remove(manifest.reference());
        if (future != null && future.isDone() && !future.isCompletedExceptionally()) {
            future.join().close();
            log.info("unloaded model {}", manifest.reference());
        }
    }

    @Override
    public void destroy() {
        loaded.values().forEach(future -> {
            if (future.isDone() && !future.isCompletedExceptionally()) {
                future.join().close();
            }
        });
        loaded.clear();
    }
}
