package dev.latentserve.jobs;

import java.util.Map;
import java.util.Objects;

/**
 * A train job's request as its kind reads it.
 *
 * @param model the name of the model the new version belongs to
 * @param family the model family to train
 * @param architecture the family's complete hyperparameters
 */
record TrainRequest(String model, String family, TrainingSettings settings, Map<String, Object> architecture) {

    /** The typed form of a request as stored (validated and completed). */
    static TrainRequest from(JobRequest stored) {
        return new TrainRequest(stored.model(), Objects.requireNonNull(stored.family(), "family"), TrainingSettings.of(stored),
                stored.architecture() == null ? Map.of() : stored.architecture());
    }

    /** The wire form, as stored and echoed in the job's JSON. */
    JobRequest toJobRequest() {
        return new JobRequest(TrainJobKind.NAME, model, family, settings.dataset(), settings.testDataset(), settings.trainImages(),
                settings.testImages(), settings.epochs(), settings.batchSize(), settings.learningRate(), settings.seed(), architecture,
                null);
    }
}
