package dev.latentserve.jobs;

import com.github.kagkarlsson.scheduler.SchedulerClient;
import com.github.kagkarlsson.scheduler.task.TaskInstanceId;
import com.github.kagkarlsson.scheduler.task.helper.OneTimeTask;
import dev.latentserve.datasets.Dataset;
import dev.latentserve.datasets.DatasetService;
import dev.latentserve.family.ModelFamilies;
import dev.latentserve.family.CodebookFitting;
import dev.latentserve.family.ModelFamily;
import dev.latentserve.family.PriorFitting;
import dev.latentserve.family.SamplingLimits;
import dev.latentserve.registry.ModelManifest;
import dev.latentserve.registry.ModelReference;
import dev.latentserve.registry.ModelRegistry;
import dev.latentserve.storage.Names;
import java.io.IOException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Accepts jobs, validates them before anything is queued, and hands them to the job engine; reads and
 * cancels them. State lives in the database, so every replica sees every job.
 */
@Service
public class JobService {

    private static final Logger log = LoggerFactory.getLogger(JobService.class);
    static final String TRAIN = "train";
    static final String FIT_PRIOR = "fit-prior";
    static final String FIT_CODEBOOK = "fit-codebook";
    static final String SAMPLE = "sample";

    private final JobRepository repository;
    private final DatasetService datasets;
    private final ModelFamilies families;
    private final JobProperties properties;
    private final JobRunner runner;
    private final ModelRegistry registry;
    private final SchedulerClient scheduler;
    private final OneTimeTask<Void> trainTask;
    private final TransactionTemplate transactions;
    private final SampleJobs sampleJobs;
    private final SamplingLimits samplingLimits;

    JobService(JobRepository repository, DatasetService datasets, ModelFamilies families, JobProperties properties,
            JobRunner runner, SchedulerClient scheduler, OneTimeTask<Void> trainTask, TransactionTemplate transactions,
            ModelRegistry registry, SampleJobs sampleJobs, SamplingLimits samplingLimits) {
        this.samplingLimits = samplingLimits;
        this.registry = registry;
        this.sampleJobs = sampleJobs;
        this.repository = repository;
        this.datasets = datasets;
        this.families = families;
        this.properties = properties;
        this.runner = runner;
        this.scheduler = scheduler;
        this.trainTask = trainTask;
        this.transactions = transactions;
    }

    public Job submit(JobRequest request) throws IOException {
        JobRequest complete = validate(request);
        if (repository.countActive() >= properties.maxActive()) {
            throw new JobCapacityException("there are already " + properties.maxActive()
                    + " jobs queued or running; retry later", 60);
        }
        Job job = new Job("job-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong()).substring(0, 12),
                complete.type(), JobState.QUEUED, complete.model(), complete, JobProgress.initial(complete.epochs()),
                null, null, 0, null, Instant.now(), null, null);
        transactions.executeWithoutResult(status -> {
            repository.insert(job);
            scheduler.scheduleIfNotExists(trainTask.instance(job.id()), Instant.now());
        });
        log.info("queued {} job {} for model {}", job.type(), job.id(), job.model());
        return job;
    }

    public Job get(String id) {
        Job job = repository.find(id).orElseThrow(() -> new JobNotFoundException(id));
        return runner.liveProgress(id).map(progress -> withProgress(job, progress)).orElse(job);
    }

    public List<Job> list(int limit) {
        return repository.list(limit).stream()
                .map(job -> runner.liveProgress(job.id()).map(progress -> withProgress(job, progress)).orElse(job))
                .toList();
    }

    /** Cancels a queued job at once, or asks a running one (on whichever worker) to stop at its next step. */
    public Job cancel(String id) {
        Job job = repository.find(id).orElseThrow(() -> new JobNotFoundException(id));
        if (job.state().isTerminal() || !repository.requestCancel(id)) {
            throw new JobConflictException("job " + id + " is " + job.state() + " already; only QUEUED or RUNNING jobs can be cancelled");
        }
        runner.cancelLocally(id);
        if (job.state() == JobState.QUEUED) {
            try {
                scheduler.cancel(TaskInstanceId.of(JobScheduling.TRAIN_TASK, id));
            } catch (RuntimeException e) {
                // Picked in the meantime: the runner sees the cancel flag and stops.
                log.debug("execution of job {} could not be removed: {}", id, e.getMessage());
            }
        }
        return get(id);
    }

    private JobRequest validate(JobRequest request) throws IOException {
        return switch (request.type()) {
            case TRAIN -> validateTraining(request);
            case FIT_PRIOR -> validatePriorFit(request);
            case FIT_CODEBOOK -> validateCodebookFit(request);
            case SAMPLE -> validateSample(request);
            default -> throw new JobRejectedException("job type '" + request.type()
                    + "' is not supported; use 'train', 'fit-codebook', 'fit-prior' or 'sample'");
        };
    }

    /** A sample job: a version whose priors are all fitted, and sampling settings in range. */
    private JobRequest validateSample(JobRequest request) {
        ModelManifest base = registry.resolve(ModelReference.parse(request.model()));
        switch (base.latent().sampling()) {
            case DIRECT -> throw new JobRejectedException("model " + base.reference() + " has no autoregressive prior; sample a "
                    + base.family() + " with /sample");
            case NEEDS_PRIOR -> throw new JobRejectedException("model " + base.reference()
                    + " has no fitted prior to sample from; fit one with a fit-prior job");
            case AUTOREGRESSIVE -> {
            }
        }
        JobRequest.SampleSpec spec = request.sample() == null ? new JobRequest.SampleSpec(null, null, null, null) : request.sample();
        int count = spec.count() == null ? 64 : spec.count();
        if (count > properties.maxSampleCount()) {
            throw new JobRejectedException("sample.count must be at most " + properties.maxSampleCount() + ", not " + count);
        }
        double temperature = spec.temperature() == null ? 1.0 : spec.temperature();
        Map<String, Double> temperatures = spec.temperatures() == null ? Map.of() : spec.temperatures();
        samplingLimits.problem(temperature, spec.topK(), temperatures, base.latent(), "sample.").ifPresent(problem -> {
            throw new JobRejectedException(problem + " (model " + base.reference() + ")");
        });
        long seed = request.seed() == null ? ThreadLocalRandom.current().nextLong(1L << 53) : request.seed();
        return request.completeSample(base.reference(), base.family(), seed,
                new JobRequest.SampleSpec(count, temperature, spec.topK(), temperatures));
    }

    /**
     * A finished sample job's result: its PNG grid, or the JSON of its codes.
     *
     * @throws JobConflictException while the job has not succeeded
     */
    public byte[] result(String id, boolean png) throws IOException {
        Job job = repository.find(id).orElseThrow(() -> new JobNotFoundException(id));
        if (!SAMPLE.equals(job.type())) {
            throw new JobConflictException("job " + id + " is a " + job.type() + " job; only sample jobs have a result to "
                    + "download (a " + job.type() + " job's result is a model version: resultVersion)");
        }
        if (job.state() != JobState.SUCCEEDED) {
            throw new JobConflictException("job " + id + " is " + job.state() + "; its result is ready once it has SUCCEEDED");
        }
        return java.nio.file.Files.readAllBytes(sampleJobs.resultDirectory(id).resolve(png ? SampleJobs.PNG : SampleJobs.JSON_FILE));
    }

    private JobRequest validateCodebookFit(JobRequest request) throws IOException {
        ModelManifest base = baseModel(request);
        CodebookFitting fitting = families.capability(base.family(), CodebookFitting.class).orElseThrow(
                () -> new JobRejectedException("model " + base.reference() + " is a " + base.family()
                        + "; codebooks are fitted to models with discrete codes (vqvae)"));
        Map<String, Object> options = fitting.codebookFitOptions(request.architecture() == null ? Map.of() : request.architecture(),
                base.architecture(), base.inputShape());
        return request.complete(base.reference(), base.family(), options);
    }

    /** The model version a fit job starts from, checked to exist, to have a known family and to take the dataset's images. */
    private ModelManifest baseModel(JobRequest request) throws IOException {
        ModelManifest base = registry.resolve(ModelReference.parse(request.model()));
        families.find(base.family()).orElseThrow(() -> new JobRejectedException(
                "model " + base.reference() + " has family '" + base.family() + "', which this server does not know"));
        Dataset train = checkDatasets(request);
        if (!train.shape().equals(base.inputShape())) {
            throw new JobRejectedException("dataset images are " + train.shape() + " but model " + base.reference() + " takes "
                    + base.inputShape());
        }
        return base;
    }

    private JobRequest validatePriorFit(JobRequest request) throws IOException {
        ModelManifest base = baseModel(request);
        PriorFitting fitting = families.capability(base.family(), PriorFitting.class).orElseThrow(
                () -> new JobRejectedException("model " + base.reference() + " is a " + base.family()
                        + "; priors are fitted to models with discrete codes (vqvae)"));
        Map<String, Object> prior = fitting.priorArchitecture(request.architecture() == null ? Map.of() : request.architecture(),
                base.architecture(), base.inputShape());
        return request.complete(base.reference(), base.family(), prior);
    }

    private JobRequest validateTraining(JobRequest request) throws IOException {
        Names.check("model name", request.model());
        if (request.family() == null) {
            throw new JobRejectedException("a train job needs a family; known: " + families.names());
        }
        ModelFamily family = families.find(request.family()).orElseThrow(() -> new JobRejectedException(
                "unknown model family '" + request.family() + "'; known: " + families.names()));
        Dataset train = checkDatasets(request);
        Map<String, Object> architecture = family.architecture(
                request.architecture() == null ? Map.of() : request.architecture(), train.shape());
        return request.complete(request.model(), family.name(), architecture);
    }

    /** Both datasets exist, share a shape, and hold at least one batch; returns the training set. */
    private Dataset checkDatasets(JobRequest request) throws IOException {
        if (request.dataset() == null || request.dataset().isBlank()) {
            throw new JobRejectedException("a " + request.type() + " job needs a dataset; GET /v1/datasets lists them");
        }
        Dataset train = datasets.find(request.dataset()).orElseThrow(() -> new JobRejectedException(
                "unknown dataset '" + request.dataset() + "'; upload one with POST /v1/datasets"));
        String testId = request.testDataset() == null ? request.dataset() : request.testDataset();
        Dataset test = datasets.find(testId).orElseThrow(() -> new JobRejectedException(
                "unknown test dataset '" + testId + "'; upload one with POST /v1/datasets"));
        if (!train.shape().equals(test.shape())) {
            throw new JobRejectedException("the test dataset's images are " + test.shape() + " but the training images are "
                    + train.shape());
        }
        int batchSize = request.batchSize() == null ? JobRequest.DEFAULT_BATCH : request.batchSize();
        if (batchSize > train.count()) {
            throw new JobRejectedException("batchSize " + batchSize + " is larger than the training dataset (" + train.count()
                    + " images)");
        }
        return train;
    }

    private static Job withProgress(Job job, JobProgress progress) {
        return new Job(job.id(), job.type(), job.state(), job.model(), job.request(), progress, job.error(),
                job.resultVersion(), job.attempts(), job.worker(), job.createdAt(), job.startedAt(), job.finishedAt());
    }
}
