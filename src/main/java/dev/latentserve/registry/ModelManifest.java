package dev.latentserve.registry;

import dev.latentserve.family.LatentSpec;
import dev.latentserve.image.ImageShape;
import java.time.Instant;
import java.util.Map;

/**
 * {@code manifest.json} of one model version: everything needed to rebuild the network and to judge it.
 *
 * @param family the model family that reads the parameters ({@code vae}, ...)
 * @param architecture the family's complete hyperparameters
 * @param inputShape the image shape the model takes and produces
 * @param latent the latent space, in JSON e.g. {@code {"type": "gaussian", "dimension": 16}}
 * @param training where the model came from: datasets, epochs, batch size, learning rate, seed, job id
 * @param metrics final quality, e.g. test negative ELBO in nats per image and its terms, per-epoch history
 */
public record ModelManifest(
        String name,
        int version,
        String family,
        Map<String, Object> architecture,
        ImageShape inputShape,
        LatentSpec latent,
        Map<String, Object> training,
        Map<String, Object> metrics,
        Instant createdAt) {

    public String reference() {
        return name + "@" + version;
    }

    ModelManifest withVersion(int newVersion) {
        return new ModelManifest(name, newVersion, family, architecture, inputShape, latent, training, metrics, createdAt);
    }
}
