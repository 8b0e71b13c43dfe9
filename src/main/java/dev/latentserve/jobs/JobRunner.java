package dev.latentserve.jobs;

import dev.latentserve.config.StorageProperties;
import dev.latentserve.datasets.DatasetNotFoundException;
import dev.latentserve.family.Checkpoints;
import dev.latentserve.family.EpochMetrics;
import dev.latentserve.family.InvalidArchitectureException;
import dev.latentserve.family.TrainingCancelledException;
import dev.latentserve.family.TrainingDivergedException;
import dev.latentserve.family.TrainingMonitor;
import dev.latentserve.registry.ModelManifest;
import dev.latentserve.registry.ModelNotFoundException;
import dev.latentserve.registry.ModelRegistry;
import dev.latentserve.storage.Directories;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Runs one job on this worker when the job engine hands it over, whatever its kind: hands the work to the job's
 * {@link JobKind} with a {@link JobContext} (progress, cancellation, checkpoints, a staging folder), resumes from the
 * job's newest checkpoint if an earlier attempt left one, publishes the model version and marks the job SUCCEEDED in
 * one transaction, and sorts failures into deterministic ones (fail now, with the reason) and transient ones (retried
 * up to {@code maxAttempts}).
 */
@Component
public class JobRunner {

    private static final Logger log = LoggerFactory.getLogger(JobRunner.class);
    private static final int PUBLISH_ATTEMPTS = 3;

    private final JobRepository repository;
    private final JobKinds kinds;
    private final ModelRegistry registry;
    private final JobProperties properties;
    private final TrainingMetrics metrics;
    private final TransactionTemplate transactions;
    private final Path checkpointRoot;
    private final String workerName;
    private final Map<String, Run> running = new ConcurrentHashMap<>();

    JobRunner(JobRepository repository, JobKinds kinds, ModelRegistry registry, JobProperties properties,
            TrainingMetrics metrics, TransactionTemplate transactions, StorageProperties storage, WorkerName workerName) {
        this.repository = repository;
        this.kinds = kinds;
        this.registry = registry;
        this.properties = properties;
        this.metrics = metrics;
        this.transactions = transactions;
        this.checkpointRoot = storage.root().resolve("checkpoints");
        this.workerName = workerName.value();
    }

    /** Live progress of a job running in this process, fresher than the database's copy. */
    Optional<JobProgress> liveProgress(String id) {
        return Optional.ofNullable(running.get(id)).map(run -> run.progress.snapshot());
    }

    /** Asks a job running in this process to stop at its next step. */
    void cancelLocally(String id) {
        Run run = running.get(id);
        if (run != null) {
            run.cancelled = true;
        }
    }

    /** Stops every job running here; their checkpoints stay for the next worker. */
    void stopAll() {
        running.values().forEach(run -> run.interrupted = true);
    }

    /**
     * Called by the job engine's worker thread. Returning normally ends the execution; throwing asks the
     * engine to run it again after {@code retryDelay}.
     */
    void run(String id) {
        if (!repository.start(id, workerName)) {
            log.info("job {} is no longer runnable; skipping", id);
            return;
        }
        Job job = repository.find(id).orElseThrow();
        Optional<JobKind> kind = kinds.find(job.type());
        if (kind.isEmpty()) {
            // Submitted through a replica that knows a kind this worker does not: retrying here cannot help.
            repository.finish(id, workerName, JobState.FAILED, "job type '" + job.type() + "' is not known to worker "
                    + workerName, null, job.progress(), null);
            return;
        }
        Run run = new Run(id, new ProgressTracker(kind.get().plan(job.request()), job.progress(), System::nanoTime),
                new JobCheckpoints(checkpointRoot, id, properties.checkpointEverySteps()));
        running.put(id, run);
        metrics.started();
        try {
            switch (kind.get().run(job, run)) {
                case JobOutcome.Publish publish -> {
                    publish(job, publish, run.staging(), run);
                    run.staging = null;
                    run.checkpoints.deleteAll();
                }
                case JobOutcome.Stored stored -> {
                    run.progress.succeeded();
                    finish(id, JobState.SUCCEEDED, null, run, stored.figures());
                }
            }
        } catch (TrainingCancelledException e) {
            if (run.lost) {
                // Another worker presumed this one dead and runs the job now: leave everything to it.
                log.warn("job {} was taken over by another worker; stopping this copy", id);
                return;
            }
            if (run.interrupted) {
                // This process is stopping: back to the queue with its checkpoint; throwing makes the engine
                // keep the execution and run it again on whichever worker is up.
                log.info("job {} stopped by a shutdown; it resumes from its checkpoint on the next worker", id);
                repository.requeue(id, workerName, "interrupted by a worker shutdown; resumes from its checkpoint",
                        run.progress.stopped());
                throw new IllegalStateException("job " + id + " interrupted by shutdown", e);
            }
            finish(id, JobState.CANCELLED, "cancelled by request", run, null);
        } catch (TrainingDivergedException | InvalidArchitectureException | DatasetNotFoundException
                | ModelNotFoundException | IllegalArgumentException e) {
            finish(id, JobState.FAILED, e.getMessage(), run, null);
        } catch (Exception | OutOfMemoryError e) {
            String reason = e.getClass().getSimpleName() + ": " + e.getMessage();
            int attempts = repository.find(id).map(Job::attempts).orElse(properties.maxAttempts());
            if (attempts < properties.maxAttempts()) {
                log.warn("job {} attempt {} of {} failed; retrying in {}", id, attempts, properties.maxAttempts(),
                        properties.retryDelay(), e);
                repository.requeue(id, workerName, "attempt " + attempts + " failed: " + reason, run.progress.stopped());
                throw new IllegalStateException("job " + id + " failed transiently: " + reason, e);
            }
            log.error("job {} failed after {} attempts", id, attempts, e);
            finish(id, JobState.FAILED, "failed after " + attempts + " attempts: " + reason, run, null);
        } finally {
            running.remove(id);
            metrics.finished();
            if (run.staging != null) {
                deleteQuietly(run.staging);
            }
        }
    }

    /**
     * Publishes the version and marks the job SUCCEEDED in one transaction. A database hiccup during this step
     * (a lost connection, a lock timeout, a failed commit) retries this step alone with the same files: the
     * training behind them is never run again for it.
     */
    private void publish(Job job, JobOutcome.Publish outcome, Path staging, Run run) {
        for (int attempt = 1; ; attempt++) {
            ModelManifest[] published = new ModelManifest[1];
            try {
                transactions.executeWithoutResult(status -> {
                    try {
                        published[0] = registry.publish(outcome.manifest(), staging);
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                    run.progress.succeeded();
                    if (!repository.finish(job.id(), workerName, JobState.SUCCEEDED, null, published[0].version(),
                            run.progress.snapshot(), outcome.figures())) {
                        throw new IllegalStateException("job " + job.id() + " was cancelled or taken over while its model was being published");
                    }
                });
                log.info("job {} succeeded: model {}", job.id(), published[0].reference());
                return;
            } catch (RuntimeException e) {
                boolean retry = attempt < PUBLISH_ATTEMPTS && isTransient(e);
                if (published[0] != null && !(retry && registry.withdraw(published[0], staging))) {
                    registry.discard(published[0]);
                    throw e;
                }
                if (!retry) {
                    throw e;
                }
                log.warn("job {}: publishing its model failed ({}); trying again with the same files", job.id(), e.toString());
                sleepBeforeRetry(attempt);
            }
        }
    }

    private static boolean isTransient(RuntimeException e) {
        return e instanceof org.springframework.dao.TransientDataAccessException
                || e instanceof org.springframework.dao.RecoverableDataAccessException
                || e instanceof org.springframework.dao.DataAccessResourceFailureException
                || e instanceof org.springframework.dao.DuplicateKeyException
                || e instanceof org.springframework.transaction.TransactionSystemException
                || e instanceof org.springframework.transaction.CannotCreateTransactionException;
    }

    private static void sleepBeforeRetry(int attempt) {
        try {
            Thread.sleep(200L * attempt);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while publishing", e);
        }
    }

    private void finish(String id, JobState state, @Nullable String error, Run run, @Nullable Map<String, Object> outcome) {
        repository.finish(id, workerName, state, error, null, state == JobState.SUCCEEDED ? run.progress.snapshot()
                : run.progress.stopped(), outcome);
        log.info("job {} {}: {}", id, state, error);
        try {
            run.checkpoints.deleteAll();
        } catch (IOException e) {
            log.warn("could not delete checkpoints of job {}", id, e);
        }
    }

    private static void deleteQuietly(Path dir) {
        try {
            Directories.deleteRecursively(dir);
        } catch (IOException e) {
            log.warn("could not delete {}", dir, e);
        }
    }

    /**
     * One run of a job on this worker: what its kind is lent ({@link JobContext}), its live progress, and the flags
     * that stop it. The flags are set from API threads and the shutdown hook, and read by the run's thread.
     */
    private final class Run implements JobContext {
        private final String id;
        private final ProgressTracker progress;
        private final JobCheckpoints checkpoints;
        private final TrainingMonitor monitor = new Monitor();
        private volatile @Nullable Path staging;
        private volatile boolean cancelled;
        private volatile boolean interrupted;
        private volatile boolean lost;

        Run(String id, ProgressTracker progress, JobCheckpoints checkpoints) {
            this.id = id;
            this.progress = progress;
            this.checkpoints = checkpoints;
        }

        @Override
        public TrainingMonitor monitor() {
            return monitor;
        }

        @Override
        public Checkpoints checkpoints() {
            return checkpoints;
        }

        @Override
        public Path staging() throws IOException {
            Path folder = staging;
            if (folder == null) {
                folder = registry.newStaging();
                staging = folder;
            }
            return folder;
        }

        /** Takes the run's reports into its progress, writes them to the job's record, and reads the cancel flag. */
        private final class Monitor implements TrainingMonitor {
            private long lastFlush = System.nanoTime();

            @Override
            public void onPlan(List<Phase> phases) {
                progress.plan(phases);
                flush();
            }

            @Override
            public void onResume(int epoch, long stepInEpoch, List<EpochMetrics> history) {
                progress.resumed(epoch, stepInEpoch, history);
                flush();
                log.info("job {} resumes from its checkpoint at epoch {}, step {}", id, epoch, stepInEpoch);
            }

            @Override
            public void onStep(StepProgress step) {
                progress.step(step);
                metrics.step(step);
                if (System.nanoTime() - lastFlush > properties.progressFlushInterval().toNanos()) {
                    flush();
                    if (repository.isCancelRequested(id)) {
                        cancelled = true;
                    }
                }
            }

            @Override
            public void onEpoch(EpochMetrics epoch) {
                progress.epoch(epoch);
                flush();
                log.info("job {} epoch {}: train loss {} test loss {} ({} img/s)", id, epoch.epoch(),
                        String.format("%.3f", epoch.trainLoss()), String.format("%.3f", epoch.testLoss()),
                        String.format("%.0f", epoch.imagesPerSecond()));
            }

            @Override
            public boolean isCancelled() {
                return cancelled || interrupted || lost;
            }

            @Override
            public boolean isStopping() {
                return interrupted && !cancelled && !lost;
            }

            private void flush() {
                lastFlush = System.nanoTime();
                if (!repository.saveProgress(id, progress.snapshot(), workerName)) {
                    lost = true;
                }
            }
        }
    }
}
