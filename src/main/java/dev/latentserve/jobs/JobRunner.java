package dev.latentserve.jobs;

import ai.djl.Device;
import dev.latentserve.config.StorageProperties;
import dev.latentserve.datasets.DatasetNotFoundException;
import dev.latentserve.datasets.DatasetService;
import dev.latentserve.family.EpochMetrics;
import dev.latentserve.family.InvalidArchitectureException;
import dev.latentserve.family.ModelFamilies;
import dev.latentserve.family.CodebookFitting;
import dev.latentserve.family.ModelFamily;
import dev.latentserve.family.PriorFitting;
import dev.latentserve.registry.ModelReference;
import dev.latentserve.family.TrainingCancelledException;
import dev.latentserve.family.TrainingDivergedException;
import dev.latentserve.family.TrainingMonitor;
import dev.latentserve.family.TrainingResult;
import dev.latentserve.family.TrainingSpec;
import dev.latentserve.image.ImageData;
import dev.latentserve.registry.ModelManifest;
import dev.latentserve.registry.ModelRegistry;
import dev.latentserve.storage.Directories;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Runs one job on this worker when the job engine hands it over: resumes from the job's newest checkpoint
 * if an earlier attempt left one, publishes the model version and marks the job SUCCEEDED in one
 * transaction, and sorts failures into deterministic ones (fail now, with the reason) and transient ones
 * (retried up to {@code maxAttempts}).
 */
@Component
public class JobRunner {

    private static final Logger log = LoggerFactory.getLogger(JobRunner.class);
    private static final int PUBLISH_ATTEMPTS = 3;

    private final JobRepository repository;
    private final DatasetService datasets;
    private final ModelFamilies families;
    private final ModelRegistry registry;
    private final JobProperties properties;
    private final TrainingMetrics metrics;
    private final Device device;
    private final TransactionTemplate transactions;
    private final Path checkpointRoot;
    private final String workerName;
    private final SampleJobs sampleJobs;
    private final Map<String, LiveProgress> running = new ConcurrentHashMap<>();

    JobRunner(JobRepository repository, DatasetService datasets, ModelFamilies families, ModelRegistry registry,
            JobProperties properties, TrainingMetrics metrics, Device engineDevice, TransactionTemplate transactions,
            StorageProperties storage, WorkerName workerName, SampleJobs sampleJobs) {
        this.sampleJobs = sampleJobs;
        this.repository = repository;
        this.datasets = datasets;
        this.families = families;
        this.registry = registry;
        this.properties = properties;
        this.metrics = metrics;
        this.device = engineDevice;
        this.transactions = transactions;
        this.checkpointRoot = storage.root().resolve("checkpoints");
        this.workerName = workerName.value();
    }

    /** Live progress of a job running in this process, fresher than the database's copy. */
    Optional<JobProgress> liveProgress(String id) {
        return Optional.ofNullable(running.get(id)).map(LiveProgress::snapshot);
    }

    /** Asks a job running in this process to stop at its next step. */
    void cancelLocally(String id) {
        LiveProgress live = running.get(id);
        if (live != null) {
            live.cancelled = true;
        }
    }

    /** Stops every job running here; their checkpoints stay for the next worker. */
    void stopAll() {
        running.values().forEach(live -> live.interrupted = true);
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
        JobRequest request = job.request();
        LiveProgress live = new LiveProgress(request.epochs(), job.progress());
        JobCheckpoints checkpoints = new JobCheckpoints(checkpointRoot, id, properties.checkpointEverySteps());
        running.put(id, live);
        metrics.started();
        Path staging = null;
        try {
            if (JobService.SAMPLE.equals(request.type())) {
                sampleJobs.run(job, monitor(id, live));
                finish(id, JobState.SUCCEEDED, null, live, checkpoints);
                return;
            }
            ImageData train = datasets.load(request.dataset());
            ImageData test = datasets.load(request.testDataset());
            staging = registry.newStaging();
            ModelManifest manifest = switch (request.type()) {
                case JobService.FIT_PRIOR -> fitPrior(job, train, test, live, checkpoints, staging);
                case JobService.FIT_CODEBOOK -> fitCodebook(job, train, test, live, staging);
                default -> train(job, train, test, live, checkpoints, staging);
            };
            publish(job, manifest, staging, live);
            staging = null;
            checkpoints.deleteAll();
        } catch (TrainingCancelledException e) {
            if (live.lost) {
                // Another worker presumed this one dead and runs the job now: leave everything to it.
                log.warn("job {} was taken over by another worker; stopping this copy", id);
                return;
            }
            if (live.interrupted) {
                // This process is stopping: back to the queue with its checkpoint; throwing makes the engine
                // keep the execution and run it again on whichever worker is up.
                log.warn("job {} interrupted by shutdown; it resumes from its checkpoint", id);
                repository.requeue(id, workerName, "interrupted by a worker shutdown; resumes from its checkpoint", live.snapshot());
                throw new IllegalStateException("job " + id + " interrupted by shutdown", e);
            }
            finish(id, JobState.CANCELLED, "cancelled by request", live, checkpoints);
        } catch (TrainingDivergedException | InvalidArchitectureException | DatasetNotFoundException
                | dev.latentserve.registry.ModelNotFoundException | IllegalArgumentException e) {
            finish(id, JobState.FAILED, e.getMessage(), live, checkpoints);
        } catch (Exception | OutOfMemoryError e) {
            String reason = e.getClass().getSimpleName() + ": " + e.getMessage();
            int attempts = repository.find(id).map(Job::attempts).orElse(properties.maxAttempts());
            if (attempts < properties.maxAttempts()) {
                log.warn("job {} attempt {} of {} failed; retrying in {}", id, attempts, properties.maxAttempts(),
                        properties.retryDelay(), e);
                repository.requeue(id, workerName, "attempt " + attempts + " failed: " + reason, live.snapshot());
                throw new IllegalStateException("job " + id + " failed transiently: " + reason, e);
            }
            log.error("job {} failed after {} attempts", id, attempts, e);
            finish(id, JobState.FAILED, "failed after " + attempts + " attempts: " + reason, live, checkpoints);
        } finally {
            running.remove(id);
            metrics.finished();
            if (staging != null) {
                deleteQuietly(staging);
            }
        }
    }

    private ModelManifest train(Job job, ImageData train, ImageData test, LiveProgress live, JobCheckpoints checkpoints,
            Path staging) throws IOException {
        JobRequest request = job.request();
        ModelFamily family = families.find(java.util.Objects.requireNonNull(request.family())).orElseThrow(
                () -> new InvalidArchitectureException("unknown model family " + request.family()));
        TrainingSpec spec = new TrainingSpec(train.shape(), request.architecture(), request.epochs(), request.batchSize(),
                request.learningRate(), request.seed(), device);
        TrainingResult result = family.train(spec, train, test, monitor(job.id(), live), checkpoints, staging);
        Map<String, Object> training = training(job, train);
        Map<String, Object> metrics = metrics(result, family.lossName(), family.lossUnit());
        return new ModelManifest(request.model(), 0, family.name(), request.architecture(), train.shape(),
                family.latentSpec(request.architecture(), train.shape()), training, metrics, Instant.now());
    }

    private ModelManifest fitPrior(Job job, ImageData train, ImageData test, LiveProgress live, JobCheckpoints checkpoints,
            Path staging) throws IOException {
        JobRequest request = job.request();
        ModelManifest base = registry.resolve(ModelReference.parse(request.model()));
        PriorFitting fitting = families.capability(base.family(), PriorFitting.class).orElseThrow(
                () -> new InvalidArchitectureException("model " + base.reference() + " has no discrete codes to fit a prior to"));
        TrainingSpec spec = new TrainingSpec(base.inputShape(), request.architecture(), request.epochs(), request.batchSize(),
                request.learningRate(), request.seed(), device);
        PriorFitting.PriorFit fit = fitting.fitPrior(registry.directory(base), base.architecture(), spec, train, test,
                monitor(job.id(), live), checkpoints, staging);
        Map<String, Object> training = new LinkedHashMap<>(base.training());
        Map<String, Object> priorTraining = training(job, train);
        priorTraining.put("baseVersion", base.reference());
        training.put("prior", priorTraining);
        Map<String, Object> metrics = new LinkedHashMap<>(base.metrics());
        metrics.put("prior", metrics(fit.result(), "nll", "nats per code map"));
        return new ModelManifest(base.name(), 0, base.family(), fit.architecture(), base.inputShape(),
                families.find(base.family()).orElseThrow().latentSpec(fit.architecture(), base.inputShape()), training, metrics,
                Instant.now());
    }

    private ModelManifest fitCodebook(Job job, ImageData train, ImageData test, LiveProgress live, Path staging)
            throws IOException {
        JobRequest request = job.request();
        ModelManifest base = registry.resolve(ModelReference.parse(request.model()));
        CodebookFitting fitting = families.capability(base.family(), CodebookFitting.class).orElseThrow(
                () -> new InvalidArchitectureException("model " + base.reference() + " has no codebook to fit"));
        TrainingSpec spec = new TrainingSpec(base.inputShape(), request.architecture(), 1, request.batchSize(),
                request.learningRate(), request.seed(), device);
        CodebookFitting.CodebookFit fit = fitting.fitCodebook(registry.directory(base), base.architecture(), spec, train, test,
                monitor(job.id(), live), staging);
        Map<String, Object> training = new LinkedHashMap<>(base.training());
        Map<String, Object> fitTraining = training(job, train);
        fitTraining.put("baseVersion", base.reference());
        fitTraining.put("options", request.architecture());
        training.put("codebookFit", fitTraining);
        training.remove("prior");
        Map<String, Object> metrics = new LinkedHashMap<>(base.metrics());
        metrics.put("codebookFit", fit.metrics());
        metrics.remove("prior");
        return new ModelManifest(base.name(), 0, base.family(), fit.architecture(), base.inputShape(),
                families.find(base.family()).orElseThrow().latentSpec(fit.architecture(), base.inputShape()), training, metrics,
                Instant.now());
    }

    /**
     * Publishes the version and marks the job SUCCEEDED in one transaction. A database hiccup during this step
     * (a lost connection, a lock timeout, a failed commit) retries this step alone with the same files: the
     * training behind them is never run again for it.
     */
    private void publish(Job job, ModelManifest manifest, Path staging, LiveProgress live) {
        for (int attempt = 1; ; attempt++) {
            ModelManifest[] published = new ModelManifest[1];
            try {
                transactions.executeWithoutResult(status -> {
                    try {
                        published[0] = registry.publish(manifest, staging);
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                    if (!repository.finish(job.id(), workerName, JobState.SUCCEEDED, null, published[0].version(), live.snapshot())) {
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

    private void finish(String id, JobState state, @Nullable String error, LiveProgress live, JobCheckpoints checkpoints) {
        repository.finish(id, workerName, state, error, null, live.snapshot());
        log.info("job {} {}: {}", id, state, error);
        try {
            checkpoints.deleteAll();
        } catch (IOException e) {
            log.warn("could not delete checkpoints of job {}", id, e);
        }
    }

    private TrainingMonitor monitor(String id, LiveProgress live) {
        return new TrainingMonitor() {
            private long lastFlush = System.nanoTime();

            @Override
            public void onResume(int epoch, long stepInEpoch, List<EpochMetrics> history) {
                live.resumed(epoch, stepInEpoch, history);
                flush();
                log.info("job {} resumes from its checkpoint at epoch {}, step {}", id, epoch, stepInEpoch);
            }

            @Override
            public void onStep(StepProgress progress) {
                live.step(progress);
                metrics.step(progress);
                if (System.nanoTime() - lastFlush > properties.progressFlushInterval().toNanos()) {
                    flush();
                    if (repository.isCancelRequested(id)) {
                        live.cancelled = true;
                    }
                }
            }

            @Override
            public void onEpoch(EpochMetrics epoch) {
                live.epoch(epoch);
                flush();
                log.info("job {} epoch {}: train loss {} test loss {} ({} img/s)", id, epoch.epoch(),
                        String.format("%.3f", epoch.trainLoss()), String.format("%.3f", epoch.testLoss()),
                        String.format("%.0f", epoch.imagesPerSecond()));
            }

            @Override
            public boolean isCancelled() {
                return live.cancelled || live.interrupted || live.lost;
            }

            @Override
            public boolean isStopping() {
                return live.interrupted && !live.cancelled && !live.lost;
            }

            private void flush() {
                lastFlush = System.nanoTime();
                if (!repository.saveProgress(id, live.snapshot(), workerName)) {
                    live.lost = true;
                }
            }
        };
    }

    private static Map<String, Object> training(Job job, ImageData train) {
        JobRequest request = job.request();
        Map<String, Object> training = new LinkedHashMap<>();
        training.put("jobId", job.id());
        training.put("type", request.type());
        training.put("dataset", request.dataset());
        training.put("testDataset", request.testDataset());
        training.put("trainImages", train.count());
        training.put("epochs", request.epochs());
        training.put("batchSize", request.batchSize());
        training.put("learningRate", request.learningRate());
        training.put("seed", request.seed());
        training.put("optimizer", "adam");
        return training;
    }

    /** Final test and train loss under {@code test<Name>} and {@code train<Name>}, the terms, and the history. */
    private static Map<String, Object> metrics(TrainingResult result, String lossName, String unit) {
        EpochMetrics last = result.last();
        String loss = Character.toUpperCase(lossName.charAt(0)) + lossName.substring(1);
        Map<String, Object> metrics = new LinkedHashMap<>();
        metrics.put("unit", unit);
        metrics.put("test" + loss, last.testLoss());
        metrics.put("testTerms", last.testTerms());
        metrics.put("train" + loss, last.trainLoss());
        metrics.put("parameters", result.parameterCount());
        metrics.put("history", new ArrayList<>(result.history()));
        return metrics;
    }

    private static void deleteQuietly(Path dir) {
        try {
            Directories.deleteRecursively(dir);
        } catch (IOException e) {
            log.warn("could not delete {}", dir, e);
        }
    }

    /** Progress of a job on this worker, updated every step and read by API threads. */
    private static final class LiveProgress {
        private final int epochs;
        private final List<EpochMetrics> history = new CopyOnWriteArrayList<>();
        private final long startNanos = System.nanoTime();
        private volatile TrainingMonitor.StepProgress last = new TrainingMonitor.StepProgress(0, 0, 0, Double.NaN, 0);
        private volatile boolean cancelled;
        private volatile boolean interrupted;
        private volatile boolean lost;
        private volatile @Nullable Integer resumedFromEpoch;
        private volatile @Nullable Long resumedFromStep;
        private volatile long stepsBeforeResume;

        LiveProgress(int epochs, JobProgress stored) {
            this.epochs = epochs;
            this.resumedFromEpoch = stored.resumedFromEpoch();
            this.resumedFromStep = stored.resumedFromStep();
        }

        void resumed(int epoch, long stepInEpoch, List<EpochMetrics> finished) {
            history.clear();
            history.addAll(finished);
            resumedFromEpoch = epoch;
            resumedFromStep = stepInEpoch;
            last = new TrainingMonitor.StepProgress(epoch, stepInEpoch, last.stepsPerEpoch(), Double.NaN, 0);
        }

        void step(TrainingMonitor.StepProgress progress) {
            if (stepsBeforeResume == 0 && resumedFromEpoch != null) {
                stepsBeforeResume = progress.stepsPerEpoch() * (resumedFromEpoch - 1) + progress.step() - 1;
            }
            last = progress;
        }

        void epoch(EpochMetrics metrics) {
            history.add(metrics);
        }

        JobProgress snapshot() {
            TrainingMonitor.StepProgress p = last;
            Double eta = null;
            long totalSteps = p.stepsPerEpoch() * epochs;
            long doneSteps = p.stepsPerEpoch() * Math.max(0, p.epoch() - 1) + p.step();
            long doneHere = doneSteps - stepsBeforeResume;
            if (doneHere > 0 && totalSteps > 0) {
                double elapsed = (System.nanoTime() - startNanos) / 1e9;
                eta = elapsed / doneHere * (totalSteps - doneSteps);
            }
            Double loss = Double.isFinite(p.loss()) ? p.loss() : null;
            return new JobProgress(p.epoch(), epochs, p.step(), p.stepsPerEpoch(), loss, p.imagesPerSecond(), eta,
                    List.copyOf(history), resumedFromEpoch, resumedFromStep);
        }
    }
}
