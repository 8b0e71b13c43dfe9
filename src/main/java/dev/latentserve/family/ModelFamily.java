package dev.latentserve.family;

import ai.djl.Device;
import dev.latentserve.image.ImageData;
import dev.latentserve.image.ImageShape;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * One kind of model (VAE, VQ-VAE, ...). Jobs and serving only talk to this interface; a family
 * registers itself as a Spring bean, so adding one is adding a package.
 */
public interface ModelFamily {

    /** The name used in job requests and manifests, e.g. {@code vae}. */
    String name();

    /**
     * The complete architecture for {@code shape}: the requested values with defaults filled in.
     *
     * @throws InvalidArchitectureException saying what does not fit
     */
    Map<String, Object> architecture(Map<String, Object> requested, ImageShape shape);

    /** The latent space of a model with this architecture, for its manifest. */
    LatentSpec latentSpec(Map<String, Object> architecture, ImageShape shape);

    /** The name of the training loss in manifests, e.g. {@code negativeElbo}. */
    String lossName();

    /** The unit of that loss, in words. */
    String lossUnit();

    /**
     * Trains a new model and writes its parameters into {@code outputDir}. Saves its state to
     * {@code checkpoints} as it goes and, when they hold one, continues from the newest instead of starting over.
     */
    TrainingResult train(TrainingSpec spec, ImageData train, ImageData test, TrainingMonitor monitor, Checkpoints checkpoints,
            Path outputDir) throws IOException;

    /** Loads the parameters written by {@link #train} for serving on {@code device}. */
    LoadedModel load(Path versionDir, ImageShape shape, Map<String, Object> architecture, Device device)
            throws IOException;
}
