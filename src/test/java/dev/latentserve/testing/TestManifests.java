package dev.latentserve.testing;

import dev.latentserve.image.ImageShape;
import dev.latentserve.registry.ModelManifest;
import java.time.Instant;
import java.util.Map;

/** Manifests for tests that need a model version but no trained network: the one place that spells one out. */
public final class TestManifests {

    private TestManifests() {
    }

    /** A small VAE's manifest, as a job hands it to the registry (version 0: the registry numbers it). */
    public static ModelManifest vae(String name, int version) {
        return vae(name, version, Map.of());
    }

    /** The same with {@code training}, where tests tell versions apart (who published it, from which job). */
    public static ModelManifest vae(String name, int version, Map<String, Object> training) {
        return new ModelManifest(name, version, "vae", Map.of("latentDim", 2), new ImageShape(1, 4, 4),
                new dev.latentserve.family.LatentSpec.Gaussian(2), training, Map.of(), Instant.parse("2026-01-01T00:00:00Z"));
    }
}
