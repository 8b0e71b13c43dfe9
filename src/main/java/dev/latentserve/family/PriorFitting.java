package dev.latentserve.family;

import dev.latentserve.image.ImageData;
import dev.latentserve.image.ImageShape;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/** A family whose models have discrete latents that an autoregressive prior can be fitted to (job type fit-prior). */
public interface PriorFitting {

    /**
     * The complete prior hyperparameters for a model of {@code modelArchitecture}, defaults filled in.
     *
     * @throws InvalidArchitectureException saying what does not fit
     */
    Map<String, Object> priorArchitecture(Map<String, Object> requested, Map<String, Object> modelArchitecture, ImageShape shape);

    /**
     * Encodes {@code train} and {@code test} to code maps with the model in {@code baseDir}, fits a prior with the
     * optimiser settings of {@code spec} (whose architecture is the prior's), and writes the model's files plus the
     * prior into {@code outputDir}.
     */
    PriorFit fitPrior(Path baseDir, Map<String, Object> modelArchitecture, TrainingSpec spec, ImageData train, ImageData test,
            TrainingMonitor monitor, Checkpoints checkpoints, Path outputDir) throws IOException;

    /** @param architecture the model's architecture with the prior's under {@code "prior"} */
    record PriorFit(TrainingResult result, Map<String, Object> architecture) {
    }
}
