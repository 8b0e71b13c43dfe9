package dev.latentserve.jobs;

import ai.djl.Device;
import dev.latentserve.datasets.Dataset;
import dev.latentserve.datasets.DatasetService;
import dev.latentserve.family.EpochMetrics;
import dev.latentserve.family.ModelFamilies;
import dev.latentserve.family.ModelFamily;
import dev.latentserve.family.TrainingCancelledException;
import dev.latentserve.family.TrainingDivergedException;
import dev.latentserve.family.TrainingMonitor;
import dev.latentserve.family.TrainingResult;
import dev.latentserve.family.TrainingSpec;
import dev.latentserve.image.ImageData;
import dev.latentserve.registry.ModelManifest;
import dev.latentserve.registry.ModelRegistry;
import dev.latentserve.storage.Directories;
import dev.latentserve.storage.Names;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Service;

/**
 * Accepts jobs, validates them before anything is queued, and runs them one at a time on a single
 * worker thread (libtorch allows one gradient collector per process). State lives in the database, so
 * every replica sees every job; a process that starts finds jobs a dead one left RUNNING and runs them again.
 */
@Service
public class JobService implements DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(JobService.class);
    static final String TRAIN = "train";

    private final JobRepository repository;
    private final DatasetService datasets;
    private final ModelFamilies families;
    private final ModelRegistry registry;
    private final JobProperties properties;
    private final TrainingMetrics metrics;
    private final Device device;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(Thread.ofPlatform().name("latentserve-trainer").factory());
    private final Map<String, LiveProgress> running = new java.util.concurrent.ConcurrentHashMap<>();

    JobService(JobRepository repository, DatasetService datasets, ModelFamilies families, ModelRegistry registry,
            JobProperties properties, TrainingMetrics metrics, Device engineDevice) {
        this.repository = repository;
        this.datasets = datasets;
        this.families = families;
        this.registry = registry;
        this.properties = properties;
        this.metrics = metrics;
        this.device = engineDevice;
    }

    @EventListener(ApplicationReadyEvent.class)
    void resumeQueued() {
        int interrupted = repository.requeueInterrupted();
        if (interrupted > 0) {
            log.warn("{} job(s) were interrupted by a stop; running them again", interrupted);
        }
        repository.idsInState(JobState.QUEUED).forEach(id -> worker.execute(() -> run(id)));
    }

    public Job submit(JobRequest request) throws IOException {
        JobRequest complete = validate(request);
        if (repository.countActive() >= properties.maxActive()) {
            throw new JobCapacityException("this worker already has " + properties.maxActive()
                    + " jobs queued or running; retry later", 60);
        }
        Job job = new Job("job-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong()).substring(0, 12),
                complete.type(), JobState.QUEUED, complete.model(), complete, JobProgress.initial(complete.epochs()),
                null, null, 0, Instant.now(), null, null);
        repository.insert(job);
        worker.execute(() -> run(job.id()));
        log.info("queued {} job {} for model {}", job.type(), job.id(), job.model());
        return job;
    }

    public Job get(String id) {
        Job job = repository.find(id).orElseThrow(() -> new JobNotFoundException(id));
        LiveProgress live = running.get(id);
        return live == null ? job : withProgress(job, live.snapshot());
    }

    public List<Job> list(int limit) {
        return repository.list(limit).stream().map(job -> {
            LiveProgress live = running.get(job.id());
            return live == null ? job : withProgress(job, live.snapshot());
        }).toList();
    }

    /** Cancels a queued job at once, or asks a running one to stop at its next step. */
    public Job cancel(String id) {
        Job job = repository.find(id).orElseThrow(() -> new JobNotFoundException(id));
        if (job.state().isTerminal() || !repository.requestCancel(id)) {
            throw new JobConflictException("job " + id + " is " + job.state() + " already; only QUEUED or RUNNING jobs can be cancelled");
        }
        LiveProgress live = running.get(id);
        if (live != null) {
            live.cancelled = true;
        }
        return get(id);
    }

    private JobRequest validate(JobRequest request) throws IOException {
        if (!TRAIN.equals(request.type())) {
            throw new JobRejectedException("job type '" + request.type() + "' is not supported; use 'train'");
        }
        Names.check("model name", request.model());
        ModelFamily family = families.find(request.family()).orElseThrow(() -> new JobRejectedException(
                "unknown model family '" + request.family() + "'; known: " + families.names()));
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
        Map<String, Object> architecture = family.architecture(
                request.architecture() == null ? Map.of() : request.architecture(), train.shape());
        return request.complete(architecture);
    }

    private void run(String id) {
        if (!repository.start(id)) {
            return;
        }
        Job job = repository.find(id).orElseThrow();
        JobRequest request = job.request();
        LiveProgress live = new LiveProgress(request.epochs());
        running.put(id, live);
        metrics.started(request.model());
        Path staging = null;
        try {
            ModelFamily family = families.find(request.family()).orElseThrow();
            ImageData train = datasets.load(request.dataset());
            ImageData test = datasets.load(request.testDataset());
            TrainingSpec spec = new TrainingSpec(train.shape(), request.architecture(), request.epochs(), request.batchSize(),
                    request.learningRate(), request.seed(), device);
            staging = registry.newStaging();
            TrainingResult result = family.train(spec, train, test, monitor(id, live), staging);
            ModelManifest manifest = registry.publish(manifest(job, train, result, family.name()), staging);
            staging = null;
            repository.finish(id, JobState.SUCCEEDED, null, manifest.version(), live.snapshot());
            log.info("job {} succeeded: model {}", id, manifest.reference());
        } catch (TrainingCancelledException e) {
            repository.finish(id, JobState.CANCELLED, "cancelled by request", null, live.snapshot());
            log.info("job {} cancelled", id);
        } catch (TrainingDivergedException e) {
            repository.finish(id, JobState.FAILED, e.getMessage(), null, live.snapshot());
            log.warn("job {} failed: {}", id, e.getMessage());
        } catch (Exception | OutOfMemoryError e) {
            repository.finish(id, JobState.FAILED, e.getClass().getSimpleName() + ": " + e.getMessage(), null, live.snapshot());
            log.error("job {} failed", id, e);
        } finally {
            running.remove(id);
            metrics.finished();
            if (staging != null) {
                deleteQuietly(staging);
            }
        }
    }

    private TrainingMonitor monitor(String id, LiveProgress live) {
        return new TrainingMonitor() {
            private long lastFlush = System.nanoTime();

            @Override
            public void onStep(StepProgress progress) {
                live.step(progress);
                metrics.step(progress);
                if (System.nanoTime() - lastFlush > properties.progressFlushInterval().toNanos()) {
                    lastFlush = System.nanoTime();
                    repository.saveProgress(id, live.snapshot());
                    if (repository.isCancelRequested(id)) {
                        live.cancelled = true;
                    }
                }
            }

            @Override
            public void onEpoch(EpochMetrics epoch) {
                live.epoch(epoch);
                repository.saveProgress(id, live.snapshot());
                log.info("job {} epoch {}: train loss {} test loss {} ({} img/s)", id, epoch.epoch(),
                        String.format("%.3f", epoch.trainLoss()), String.format("%.3f", epoch.testLoss()),
                        String.format("%.0f", epoch.imagesPerSecond()));
            }

            @Override
            public boolean isCancelled() {
                return live.cancelled;
            }
        };
    }

    private static ModelManifest manifest(Job job, ImageData train, TrainingResult result, String family) {
        JobRequest request = job.request();
        Map<String, Object> training = new LinkedHashMap<>();
        training.put("jobId", job.id());
        training.put("dataset", request.dataset());
        training.put("testDataset", request.testDataset());
        training.put("trainImages", train.count());
        training.put("epochs", request.epochs());
        training.put("batchSize", request.batchSize());
        training.put("learningRate", request.learningRate());
        training.put("seed", request.seed());
        training.put("optimizer", "adam");
        EpochMetrics last = result.last();
        Map<String, Object> metrics = new LinkedHashMap<>();
        metrics.put("unit", "nats per image");
        metrics.put("testNegativeElbo", last.testLoss());
        metrics.put("testTerms", last.testTerms());
        metrics.put("trainNegativeElbo", last.trainLoss());
        metrics.put("parameters", result.parameterCount());
        metrics.put("history", new ArrayList<>(result.history()));
        Object latentDim = request.architecture() == null ? null : request.architecture().get("latentDim");
        Map<String, Object> latent = new LinkedHashMap<>();
        latent.put("type", "gaussian");
        latent.put("dimension", latentDim);
        return new ModelManifest(request.model(), 0, family, request.architecture(), train.shape(), latent, training, metrics,
                Instant.now());
    }

    private static Job withProgress(Job job, JobProgress progress) {
        return new Job(job.id(), job.type(), job.state(), job.model(), job.request(), progress, job.error(),
                job.resultVersion(), job.attempts(), job.createdAt(), job.startedAt(), job.finishedAt());
    }

    private static void deleteQuietly(Path dir) {
        try {
            Directories.deleteRecursively(dir);
        } catch (IOException e) {
            log.warn("could not delete {}", dir, e);
        }
    }

    @Override
    public void destroy() {
        running.values().forEach(live -> live.cancelled = true);
        worker.shutdownNow();
    }

    /** Progress of the job on this worker, updated every step and read by API threads. */
    private static final class LiveProgress {
        private final int epochs;
        private final List<EpochMetrics> history = new java.util.concurrent.CopyOnWriteArrayList<>();
        private volatile TrainingMonitor.StepProgress last;
        private volatile boolean cancelled;
        private final long startNanos = System.nanoTime();

        LiveProgress(int epochs) {
            this.epochs = epochs;
            this.last = new TrainingMonitor.StepProgress(0, 0, 0, Double.NaN, 0);
        }

        void step(TrainingMonitor.StepProgress progress) {
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
            if (doneSteps > 0 && totalSteps > 0) {
                double elapsed = (System.nanoTime() - startNanos) / 1e9;
                eta = elapsed / doneSteps * (totalSteps - doneSteps);
            }
            Double loss = Double.isFinite(p.loss()) ? p.loss() : null;
            return new JobProgress(p.epoch(), epochs, p.step(), p.stepsPerEpoch(), loss, p.imagesPerSecond(), eta,
                    List.copyOf(history));
        }
    }
}
