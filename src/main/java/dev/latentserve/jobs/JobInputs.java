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
     * Both datasets exist, share a shape, and the training images used hold at least one batch.
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
        int used = imagesUsed(request.trainImages(), train);
        if (batchSize > used) {
            throw new JobRejectedException("batchSize " + batchSize + " is larger than " + (used < train.count()
                    ? "the " + used + " training images used (trainImages; the dataset has " + train.count() + ")"
                    : "the training dataset (" + used + " images)"));
        }
        return train;
    }

    /**
     * A model's versions share one family: a bare name must not serve a VAE today and a VQ-VAE tomorrow, nor answer
     * decode requests in one latent form and then another.
     *
     * @throws JobRejectedException when {@code model} exists with another family
     */
    void checkSameFamily(String model, String family) {
        registry.list().stream().filter(summary -> summary.name().equals(model) && !summary.family().equals(family)).findFirst()
                .ifPresent(existing -> {
                    throw new JobRejectedException("model " + model + " is a " + existing.family() + " (versions "
                            + existing.versions() + "); a new version must be a " + existing.family() + " too: train the "
                            + family + " under another name");
                });
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

    /**
     * The request pinned to the data it is accepted for, so that the job (and any retry of it) trains on that data even
     * if a name is later given to another upload: dataset names replaced by the ids they name now, and
     * {@code trainImages} and {@code testImages} by how many images the job uses (all when not given, at most the
     * dataset's count). Unknown names, and the counts of their images, stay as sent, for the kind's checks to refuse.
     */
    JobRequest pinData(JobRequest request) throws IOException {
        @Nullable Dataset train = find(request.dataset());
        @Nullable Dataset test = request.testDataset() == null ? train : find(request.testDataset());
        return new JobRequest(request.type(), request.model(), request.family(), idOr(train, request.dataset()),
                request.testDataset() == null ? null : idOr(test, request.testDataset()),
                pinned(request.trainImages(), train), pinned(request.testImages(), test),
                request.epochs(), request.batchSize(), request.learningRate(), request.seed(), request.architecture(),
                request.sample());
    }

    private @Nullable Dataset find(@Nullable String dataset) throws IOException {
        return dataset == null ? null : datasets.find(dataset).orElse(null);
    }

    private static @Nullable String idOr(@Nullable Dataset dataset, @Nullable String sent) {
        return dataset == null ? sent : dataset.id();
    }

    private static @Nullable Integer pinned(@Nullable Integer requested, @Nullable Dataset dataset) {
        return dataset == null ? requested : Integer.valueOf(imagesUsed(requested, dataset));
    }

    /** How many of {@code dataset}'s images a job uses when asked for {@code requested} (null: all). */
    private static int imagesUsed(@Nullable Integer requested, Dataset dataset) {
        return requested == null ? dataset.count() : Math.min(requested, dataset.count());
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

    /** The version {@code reference} names ({@code name} or {@code name@version}). */
    ModelManifest baseVersion(String reference) {
        return registry.resolve(ModelReference.parse(reference));
    }

    /** The folder of {@code version}'s files. */
    Path directory(ModelManifest version) {
        return registry.directory(version);
    }

    /** The training and test images of a running job: the first {@code trainImages} and {@code testImages} of each. */
    Data load(TrainingSettings settings) throws IOException {
        return new Data(first(datasets.load(settings.dataset()), settings.trainImages()),
                first(datasets.load(settings.testDataset()), settings.testImages()));
    }

    private static ImageData first(ImageData images, @Nullable Integer count) {
        return count == null ? images : images.first(count);
    }

    /** A job's training and held-out images. */
    record Data(ImageData train, ImageData test) {
    }
}
