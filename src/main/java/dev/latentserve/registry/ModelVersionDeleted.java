package dev.latentserve.registry;

/**
 * A version was deleted by this process: its row is gone and its files go as soon as every listener has returned, so
 * listeners run at once, in {@code @Order}, and let go of whatever they hold of it (a cached manifest, a queue, the
 * loaded model).
 */
public record ModelVersionDeleted(ModelManifest manifest) {
}
