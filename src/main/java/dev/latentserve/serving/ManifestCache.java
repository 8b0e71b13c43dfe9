package dev.latentserve.serving;

import dev.latentserve.family.LatentSpec;
import dev.latentserve.registry.ModelManifest;
import dev.latentserve.registry.ModelReference;
import dev.latentserve.registry.ModelRegistry;
import dev.latentserve.registry.ModelVersionDeleted;
import dev.latentserve.registry.ModelVersionPublished;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.context.event.EventListener;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.transaction.event.TransactionalEventListener;

/**
 * Model references as requests name them ({@code name} or {@code name@version}), resolved to manifests for at most
 * one second. Resolving reads the registry's table and parses the manifest: on the request path that cost about as
 * much as a small model's share of a batch. A version published or deleted in this process clears the cache at once
 * (after its transaction commits); one published by another replica is served within the second.
 */
@Component
class ManifestCache {

    private static final Duration TIME_TO_LIVE = Duration.ofSeconds(1);

    private final ModelRegistry registry;
    private final Map<String, Entry> entries = new ConcurrentHashMap<>();

    ManifestCache(ModelRegistry registry) {
        this.registry = registry;
    }

    /** A new version may be the newest of its model: once it commits, {@code name} must resolve to it. */
    @TransactionalEventListener(fallbackExecution = true)
    void published(ModelVersionPublished published) {
        entries.clear();
    }

    /**
     * First of the deletion's listeners: once the cache is clear no new request resolves the deleted version (its row
     * is gone), so none opens a new queue or loads the model again while the queue drains and the model closes.
     */
    @EventListener
    @Order(Ordered.HIGHEST_PRECEDENCE)
    void deleted(ModelVersionDeleted deleted) {
        entries.clear();
    }

    /** {@code reference} resolved for sampling ({@link ModelRegistry#resolveSampler}): cached as {@link #resolve} is. */
    ModelManifest resolveSampler(String reference) throws IOException {
        ModelManifest newest = resolve(reference);
        return newest.latent().sampling() == LatentSpec.Sampling.NEEDS_PRIOR
                ? registry.resolveSampler(ModelReference.parse(reference)) : newest;
    }

    ModelManifest resolve(String reference) throws IOException {
        long now = System.nanoTime();
        Entry entry = entries.get(reference);
        if (entry != null && now - entry.resolvedAt < TIME_TO_LIVE.toNanos()) {
            return entry.manifest;
        }
        ModelManifest manifest = registry.resolve(ModelReference.parse(reference));
        if (entries.size() > 10_000) {
            entries.clear();
        }
        entries.put(reference, new Entry(manifest, now));
        return manifest;
    }

    private record Entry(ModelManifest manifest, long resolvedAt) {
    }
}
