package dev.latentserve.registry;

/**
 * A version was published by this process. Published inside the publishing transaction: listen with
 * {@code @TransactionalEventListener(fallbackExecution = true)} to act once it commits (at once when there was none),
 * as a cache of "the newest version" must, since before the commit no reader sees the version.
 */
public record ModelVersionPublished(ModelManifest manifest) {
}
