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

    private final JobRepository repository;
    private final DatasetService datasets;
    private final ModelFamilies families;
    private final JobProperties properties;
    private final JobRunner runner;
    private final ModelRegistry registry;
    private final SchedulerClient scheduler;
    private final OneTimeTask<Void> trainTask;
    private final TransactionTemplate transactions;

    JobService(JobRepository repository, DatasetService datasets, ModelFamilies families, JobProperties properties,
            JobRunner runner, SchedulerClient scheduler, OneTimeTask<Void> trainTask, TransactionTemplate transactions,
            ModelRegistry registry) {
        this.registry = registry;
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
            default -> throw new JobRejectedException("job type '" + request.type()
                    + "' is not supported; use 'train', 'fit-codebook' or 'fit-prior'");
        };
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
