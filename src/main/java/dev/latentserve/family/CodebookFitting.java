package dev.latentserve.family;

import dev.latentserve.image.ImageData;
import dev.latentserve.image.ImageShape;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/** A family whose codebook can be refitted by k-means over encoder outputs (job type fit-codebook). */
public interface CodebookFitting {

    /**
     * The complete fitting options (k-means iterations, how many vectors, decoder fine-tuning steps).
     *
     * @throws InvalidArchitectureException saying what does not fit
     */
    Map<String, Object> codebookFitOptions(Map<String, Object> requested, Map<String, Object> modelArchitecture, ImageShape shape);

    /**
     * Fits the codebook of the model in {@code baseDir} to {@code train}'s encoder outputs, optionally fine-tunes the
     * decoder with the optimiser settings of {@code spec} (whose architecture holds the options), and writes the new
     * model into {@code outputDir}.
     */
    CodebookFit fitCodebook(Path baseDir, Map<String, Object> modelArchitecture, TrainingSpec spec, ImageData train,
            ImageData test, TrainingMonitor monitor, Path outputDir) throws IOException;

    /**
     * @param architecture the new version's architecture (a prior fitted to the old codes is dropped)
     * @param metrics reconstruction error and perplexity before and after, and the k-means objective
     */
    record CodebookFit(Map<String, Object> architecture, Map<String, Object> metrics) {
    }
}
