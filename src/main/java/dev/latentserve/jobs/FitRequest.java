package dev.latentserve.jobs;

import java.util.Map;
import java.util.Objects;

/**
 * A request to fit part of an existing version anew (a prior, a codebook) and publish the result as a new version of
 * the same model, as the fit-prior and fit-codebook kinds read it.
 *
 * @param type the kind's name
 * @param baseVersion the version fitted to, {@code name@version}
 * @param family that version's family
 * @param options the fit's complete settings (a prior's hyperparameters, the k-means and fine-tune options)
 */
record FitRequest(String type, String baseVersion, String family, TrainingSettings settings, Map<String, Object> options) {

    /** The typed form of a request as stored (validated and completed). */
    static FitRequest from(JobRequest stored) {
        return new FitRequest(stored.type(), stored.model(), Objects.requireNonNull(stored.family(), "family"),
                TrainingSettings.of(stored), stored.architecture() == null ? Map.of() : stored.architecture());
    }

    /** The wire form, as stored and echoed in the job's JSON: the options travel as {@code architecture}. */
    JobRequest toJobRequest() {
        return new JobRequest(type, baseVersion, family, settings.dataset(), settings.testDataset(), settings.trainImages(),
                settings.testImages(), settings.epochs(), settings.batchSize(), settings.learningRate(), settings.seed(), options,
                null);
    }
}
