package dev.latentserve.serving;

import dev.latentserve.registry.ModelManifest;
import dev.latentserve.registry.ModelReference;
import dev.latentserve.registry.ModelRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.stereotype.Component;

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
        registry.onDeletion(manifest -> entries.clear());
        registry.onPublication(manifest -> entries.clear());
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
