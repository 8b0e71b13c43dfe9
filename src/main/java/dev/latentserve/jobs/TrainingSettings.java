package dev.latentserve.jobs;

import ai.djl.Device;
import dev.latentserve.family.TrainingSpec;
import dev.latentserve.image.ImageShape;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The data and optimiser settings that train, fit-prior and fit-codebook jobs share, every default filled in.
 *
 * @param testDataset the held-out dataset for the test loss (the training dataset unless the request names one)
 */
record TrainingSettings(String dataset, String testDataset, int epochs, int batchSize, double learningRate, long seed) {

    static final int DEFAULT_EPOCHS = 10;
    static final int DEFAULT_BATCH = 128;
    static final double DEFAULT_LEARNING_RATE = 1e-3;

    /** The settings of a request whose dataset is checked, taking defaults for what it leaves out. */
    static TrainingSettings of(JobRequest request) {
        String dataset = Objects.requireNonNull(request.dataset(), "dataset");
        return new TrainingSettings(dataset, request.testDataset() == null ? dataset : request.testDataset(),
                request.epochs() == null ? DEFAULT_EPOCHS : request.epochs(),
                request.batchSize() == null ? DEFAULT_BATCH : request.batchSize(),
                request.learningRate() == null ? DEFAULT_LEARNING_RATE : request.learningRate(),
                request.seed() == null ? 0L : request.seed());
    }

    /** The same settings for {@code passes} passes. */
    TrainingSettings withEpochs(int passes) {
        return new TrainingSettings(dataset, testDataset, passes, batchSize, learningRate, seed);
    }

    /** What a family trains or fits with these settings. */
    TrainingSpec spec(ImageShape shape, Map<String, Object> architecture, Device device) {
        return new TrainingSpec(shape, architecture, epochs, batchSize, learningRate, seed, device);
    }

    /** The new version's {@code training} entry in its manifest: where it came from. */
    Map<String, Object> manifestEntry(String jobId, String type, int trainImages) {
        Map<String, Object> training = new LinkedHashMap<>();
        training.put("jobId", jobId);
        training.put("type", type);
        training.put("dataset", dataset);
        training.put("testDataset", testDataset);
        training.put("trainImages", trainImages);
        training.put("epochs", epochs);
        training.put("batchSize", batchSize);
        training.put("learningRate", learningRate);
        training.put("seed", seed);
        training.put("optimizer", "adam");
        return training;
    }
}
