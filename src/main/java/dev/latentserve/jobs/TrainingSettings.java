package dev.latentserve.jobs;

import ai.djl.Device;
import dev.latentserve.family.TrainingSpec;
import dev.latentserve.image.ImageShape;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The data and optimiser settings that train, fit-prior and fit-codebook jobs share, every default filled in.
 *
 * @param testDataset the held-out dataset for the test loss (the training dataset unless the request names one)
 * @param trainImages how many of the training dataset's first images a job uses; null for all (requests stored before
 *     the field existed)
 * @param testImages how many of the test dataset's first images a job judges on; null for all
 */
record TrainingSettings(String dataset, String testDataset, @Nullable Integer trainImages, @Nullable Integer testImages,
        int epochs, int batchSize, double learningRate, long seed) {

    static final int DEFAULT_EPOCHS = 10;
    static final int DEFAULT_BATCH = 128;
    static final double DEFAULT_LEARNING_RATE = 1e-3;

    /** The settings of a request whose dataset is checked, taking defaults for what it leaves out. */
    static TrainingSettings of(JobRequest request) {
        String dataset = Objects.requireNonNull(request.dataset(), "dataset");
        return new TrainingSettings(dataset, request.testDataset() == null ? dataset : request.testDataset(),
                request.trainImages(), request.testImages(), request.epochs() == null ? DEFAULT_EPOCHS : request.epochs(),
                request.batchSize() == null ? DEFAULT_BATCH : request.batchSize(),
                request.learningRate() == null ? DEFAULT_LEARNING_RATE : request.learningRate(),
                request.seed() == null ? 0L : request.seed());
    }

    /** The same settings for {@code passes} passes. */
    TrainingSettings withEpochs(int passes) {
        return new TrainingSettings(dataset, testDataset, trainImages, testImages, passes, batchSize, learningRate, seed);
    }

    /** What a family trains or fits with these settings. */
    TrainingSpec spec(ImageShape shape, Map<String, Object> architecture, Device device) {
        return new TrainingSpec(shape, architecture, epochs, batchSize, learningRate, seed, device);
    }

    /** The new version's {@code training} entry in its manifest: where it came from, and how many images it used. */
    Map<String, Object> manifestEntry(String jobId, String type, JobInputs.Data data) {
        Map<String, Object> training = new LinkedHashMap<>();
        training.put("jobId", jobId);
        training.put("type", type);
        training.put("dataset", dataset);
        training.put("testDataset", testDataset);
        training.put("trainImages", data.train().count());
        training.put("testImages", data.test().count());
        training.put("epochs", epochs);
        training.put("batchSize", batchSize);
        training.put("learningRate", learningRate);
        training.put("seed", seed);
        training.put("optimizer", "adam");
        return training;
    }
}
