package dev.latentserve.jobs;

import dev.latentserve.datasets.Dataset;
import dev.latentserve.datasets.DatasetService;
import dev.latentserve.family.ModelFamilies;
import dev.latentserve.image.ImageData;
import dev.latentserve.registry.ModelManifest;
import dev.latentserve.registry.ModelReference;
import dev.latentserve.registry.ModelRegistry;
import java.io.IOException;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;
import org.springframework.stereotype.Component;

/**
 * The datasets and base versions that train and fit jobs start from: checked before a job is queued, so a bad
 * request is refused at once instead of failing later, and loaded when it runs.
 */
@Component
class JobInputs {

    private final DatasetService datasets;
    private final ModelRegistry registry;
    private final ModelFamilies families;

    JobInputs(DatasetService datasets, ModelRegistry registry, ModelFamilies families) {
        this.datasets = datasets;
        this.registry = registry;
        this.families = families;
    }

    /**
     * Both datasets exist, share a shape, and hold at least one batch.
     *
     * @return the training set
     */
    Dataset checkDatasets(JobRequest request) throws IOException {
        if (request.dataset() == null || request.dataset().isBlank()) {
            throw new JobRejectedException("a " + request.type() + " job needs a dataset; GET /v1/datasets lists them");
        }
        Dataset train = datasets.find(request.dataset()).orElseThrow(() -> new JobRejectedException(
                "unknown dataset '" + request.dataset() + "'; " + howToCreate(request.dataset())));
        String testId = request.testDataset() == null ? request.dataset() : request.testDataset();
        Dataset test = datasets.find(testId).orElseThrow(() -> new JobRejectedException(
                "unknown test dataset '" + testId + "'; " + howToCreate(testId)));
        if (!train.shape().equals(test.shape())) {
            throw new JobRejectedException("the test dataset's images are " + test.shape() + " but the training images are "
                    + train.shape());
        }
        int batchSize = request.batchSize() == null ? TrainingSettings.DEFAULT_BATCH : request.batchSize();
        if (batchSize > train.count()) {
            throw new JobRejectedException("batchSize " + batchSize + " is larger than the training dataset (" + train.count()
                    + " images)");
        }
        return train;
    }

    /** The model version a fit job starts from, checked to exist, to have a known family and to take the dataset's images. */
    ModelManifest checkBaseVersion(JobRequest request) throws IOException {
        ModelManifest base = baseVersion(request.model());
        families.find(base.family()).orElseThrow(() -> new JobRejectedException(
                "model " + base.reference() + " has family '" + base.family() + "', which this server does not know"));
        Dataset train = checkDatasets(request);
        if (!train.shape().equals(base.inputShape())) {
            throw new JobRejectedException("dataset images are " + train.shape() + " but model " + base.reference() + " takes "
                    + base.inputShape());
        }
        return base;
    }

    /** The version {@code reference} names ({@code name} or {@code name@version}). */
    /**
     * The request with dataset names replaced by the ids they name now, so that the job (and any retry of it) trains on
     * the data it was accepted for, even if the name is later given to another upload. Unknown names stay as sent, for
     * the kind's checks to refuse.
     */
    JobRequest withDatasetIds(JobRequest request) throws IOException {
        return new JobRequest(request.type(), request.model(), request.family(), idOf(request.dataset()), idOf(request.testDataset()),
                request.epochs(), request.batchSize(), request.learningRate(), request.seed(), request.architecture(),
                request.sample());
    }

    private @Nullable String idOf(@Nullable String dataset) throws IOException {
        return dataset == null ? null : datasets.find(dataset).map(Dataset::id).orElse(dataset);
    }

    private static String howToCreate(String dataset) {
        return DatasetService.FASHION_MNIST.contains(dataset) ? "POST /v1/datasets/fashion-mnist imports it (with "
                + String.join(" and ", DatasetService.FASHION_MNIST) + ")" : "upload one with POST /v1/datasets";
    }

    /**
     * The family of {@code base} as {@code capability} (such as {@code PriorFitting}).
     *
     * @param purpose what the capability does, for the message, e.g. "priors are fitted to models with discrete codes"
     * @throws JobRejectedException naming the families that offer it, when the base version's does not
     */
    <T> T capability(ModelManifest base, Class<T> capability, String purpose) {
        return families.capability(base.family(), capability).orElseThrow(() -> new JobRejectedException("model "
                + base.reference() + " is a " + base.family() + "; " + purpose + " (families " + families.namesOffering(capability)
                + ")"));
    }

    ModelManifest baseVersion(String reference) {
        return registry.resolve(ModelReference.parse(reference));
    }

    /** The folder of {@code version}'s files. */
    Path directory(ModelManifest version) {
        return registry.directory(version);
    }

    /** The training and test images of a running job. */
    Data load(TrainingSettings settings) throws IOException {
        return new Data(datasets.load(settings.dataset()), datasets.load(settings.testDataset()));
    }

    /** A job's training and held-out images. */
    record Data(ImageData train, ImageData test) {
    }
}
