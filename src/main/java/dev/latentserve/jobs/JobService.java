package dev.latentserve.jobs;

import com.github.kagkarlsson.scheduler.SchedulerClient;
import com.github.kagkarlsson.scheduler.task.TaskInstanceId;
import com.github.kagkarlsson.scheduler.task.helper.OneTimeTask;
import java.io.IOException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Accepts jobs, has their kind validate them before anything is queued, and hands them to the job engine; reads and
 * cancels them. State lives in the database, so every replica sees every job.
 */
@Service
public class JobService {

    private static final Logger log = LoggerFactory.getLogger(JobService.class);

    private final JobRepository repository;
    private final JobInputs inputs;
    private final JobKinds kinds;
    private final JobProperties properties;
    private final JobRunner runner;
    private final SchedulerClient scheduler;
    private final OneTimeTask<Void> trainTask;
    private final TransactionTemplate transactions;

    JobService(JobRepository repository, JobKinds kinds, JobProperties properties, JobRunner runner, SchedulerClient scheduler,
            OneTimeTask<Void> trainTask, TransactionTemplate transactions, JobInputs inputs) {
        this.inputs = inputs;
        this.repository = repository;
        this.kinds = kinds;
        this.properties = properties;
        this.runner = runner;
        this.scheduler = scheduler;
        this.trainTask = trainTask;
        this.transactions = transactions;
    }

    /** The most samples one sample job draws ({@code latentserve.jobs.max-sample-count}). */
    public int maxSampleCount() {
        return properties.maxSampleCount();
    }

    /**
     * Validates and queues a job.
     *
     * @throws JobRejectedException when the type is unknown or its kind refuses the request (422)
     * @throws JobCapacityException when {@code maxActive} jobs are queued or running already (429)
     */
    public Job submit(JobRequest request) throws IOException {
        JobKind kind = kinds.get(request.type());
        JobRequest complete = kind.validate(inputs.pinData(request));
        if (repository.countActive() >= properties.maxActive()) {
            throw new JobCapacityException("there are already " + properties.maxActive()
                    + " jobs queued or running; retry later", 60);
        }
        Job job = new Job("job-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong()).substring(0, 12),
                complete.type(), JobState.QUEUED, complete.model(), complete, ProgressTracker.initial(kind.plan(complete)),
                null, null, null, 0, null, Instant.now(), null, null, false);
        transactions.executeWithoutResult(status -> {
            repository.insert(job);
            scheduler.scheduleIfNotExists(trainTask.instance(job.id()), Instant.now());
        });
        log.info("queued {} job {} for model {}", job.type(), job.id(), job.model());
        return job;
    }

    /** One job, with this worker's live progress when it runs here. */
    public Job get(String id) {
        return live(repository.find(id).orElseThrow(() -> new JobNotFoundException(id)));
    }

    /** The newest {@code limit} jobs, newest first. */
    public List<Job> list(int limit) {
        return repository.list(limit).stream().map(this::live).toList();
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

    /**
     * A finished job's downloadable result (a sample job's PNG grid, or the JSON of its codes).
     *
     * @throws JobConflictException when the job's kind publishes a model version instead, or while it has not succeeded
     */
    public byte[] result(String id, boolean png) throws IOException {
        Job job = repository.find(id).orElseThrow(() -> new JobNotFoundException(id));
        return kinds.get(job.type()).download(job, png);
    }

    /**
     * The job with this worker's live progress while it runs here. Only while its record says RUNNING: once the record
     * has its final state, so has its progress (between that commit and the run's end the live one would still count
     * down).
     */
    private Job live(Job job) {
        return job.state() != JobState.RUNNING ? job
                : runner.liveProgress(job.id()).map(progress -> withProgress(job, progress)).orElse(job);
    }

    private static Job withProgress(Job job, JobProgress progress) {
        return new Job(job.id(), job.type(), job.state(), job.model(), job.request(), progress, job.error(),
                job.resultVersion(), job.outcome(), job.attempts(), job.worker(), job.createdAt(), job.startedAt(), job.finishedAt(),
                job.cancelRequested());
    }
}
