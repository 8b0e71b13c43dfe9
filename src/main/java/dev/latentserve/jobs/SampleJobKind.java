package dev.latentserve.jobs;

import ai.djl.Device;
import dev.latentserve.config.StorageProperties;
import dev.latentserve.family.LatentSpec;
import dev.latentserve.family.Latents;
import dev.latentserve.family.LoadedModel;
import dev.latentserve.family.ModelFamilies;
import dev.latentserve.family.PreviewCodes;
import dev.latentserve.family.SamplingCancelledException;
import dev.latentserve.family.SamplingLimits;
import dev.latentserve.family.SamplingWatch;
import dev.latentserve.family.TrainingCancelledException;
import dev.latentserve.family.TrainingLoop;
import dev.latentserve.family.TrainingMonitor;
import dev.latentserve.family.TrainingMonitor.Phase;
import dev.latentserve.image.ImageCodec;
import dev.latentserve.registry.MissingPriors;
import dev.latentserve.registry.ModelManifest;
import dev.latentserve.registry.ModelReference;
import dev.latentserve.registry.ModelRegistry;
import dev.latentserve.storage.Directories;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code sample}: draws a large number of samples from a version's prior in chunks, reporting progress per code position
 * and stopping at a cancel between two positions, and stores a PNG grid of the images and a JSON file of their codes under
 * {@code <storage>/job-results/<job id>/}. A chunk is one engine call of up to {@link #CHUNK} samples; the first draws
 * with the job's seed, so a job of at most one chunk gives what {@code /sample} gives for the same seed, and chunk i
 * with a seed mixed from it.
 */
@Component
class SampleJobKind implements JobKind {

    private static final Logger log = LoggerFactory.getLogger(SampleJobKind.class);

    static final String NAME = "sample";
    static final int CHUNK = 64;
    static final String PNG = "samples.png";
    static final String JSON_FILE = "samples.json";
    static final int DEFAULT_COUNT = 64;
    /** One step per code position of every chunk: a chunk draws each position of each level for all its samples at once. */
    private static final Phase SAMPLING = new Phase(NAME, "positions", 1, 1);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final ModelRegistry registry;
    private final ModelFamilies families;
    private final Device device;
    private final Path root;
    private final JobProperties properties;
    private final SamplingLimits samplingLimits;
    private final JobPreviews previews;

    SampleJobKind(ModelRegistry registry, ModelFamilies families, Device engineDevice, StorageProperties storage,
            JobProperties properties, SamplingLimits samplingLimits, JobPreviews previews) {
        this.registry = registry;
        this.families = families;
        this.device = engineDevice;
        this.root = storage.root().resolve("job-results");
        this.properties = properties;
        this.samplingLimits = samplingLimits;
        this.previews = previews;
    }

    @Override
    public String name() {
        return NAME;
    }

    /** A version whose priors are all fitted, and sampling settings in range; the seed is drawn here when none is sent. */
    @Override
    public JobRequest validate(JobRequest request) {
        ModelManifest base = registry.resolveSampler(ModelReference.parse(request.model()));
        switch (base.latent().sampling()) {
            case DIRECT -> throw new JobRejectedException("model " + base.reference() + " has no autoregressive prior; sample a "
                    + base.family() + " with /sample");
            case NEEDS_PRIOR -> throw new JobRejectedException(MissingPriors.detail(base, "sample from"));
            case AUTOREGRESSIVE -> {
            }
        }
        JobRequest.SampleSpec spec = request.sample() == null ? new JobRequest.SampleSpec(null, null, null, null) : request.sample();
        int count = spec.count() == null ? DEFAULT_COUNT : spec.count();
        if (count > properties.maxSampleCount()) {
            throw new JobRejectedException("sample.count must be at most " + properties.maxSampleCount() + ", not " + count);
        }
        double temperature = spec.temperature() == null ? 1.0 : spec.temperature();
        Map<String, Double> temperatures = spec.temperatures() == null ? Map.of() : spec.temperatures();
        samplingLimits.problem(temperature, spec.topK(), temperatures, base.latent(), "sample.").ifPresent(problem -> {
            throw new JobRejectedException(problem + " (model " + base.reference() + ")");
        });
        SamplingLimits.codebookProblem(spec.topK(), base.latent(), "sample.").ifPresent(problem -> {
            throw new JobRejectedException(problem + " (model " + base.reference() + ")");
        });
        long seed = request.seed() == null ? ThreadLocalRandom.current().nextLong(1L << 53) : request.seed();
        return new SampleJobRequest(base.reference(), base.family(), seed,
                new JobRequest.SampleSpec(count, temperature, spec.topK(), temperatures, spec.previewEvery())).toJobRequest();
    }

    @Override
    public List<Phase> plan(JobRequest request) {
        return List.of(SAMPLING);
    }

    @Override
    public JobOutcome run(Job job, JobContext context) throws IOException {
        SampleJobRequest request = SampleJobRequest.from(job.request());
        TrainingMonitor monitor = context.monitor();
        monitor.onPlan(List.of(SAMPLING));
        ModelManifest manifest = registry.resolve(ModelReference.parse(request.model()));
        int count = request.count();
        int chunks = (count + CHUNK - 1) / CHUNK;
        List<float[]> images = new ArrayList<>(count);
        List<Latents> codes = new ArrayList<>(chunks);
        long start = System.nanoTime();
        try (LoadedModel model = families.find(manifest.family()).orElseThrow().load(registry.directory(manifest),
                manifest.inputShape(), manifest.architecture(), device)) {
            int perChunk = manifest.latent().codePositions().values().stream().mapToInt(Integer::intValue).sum();
            for (int chunk = 0; chunk < chunks; chunk++) {
                if (monitor.isCancelled()) {
                    throw new TrainingCancelledException();
                }
                int n = Math.min(CHUNK, count - chunk * CHUNK);
                long seed = chunk == 0 ? request.seed() : TrainingLoop.mix(request.seed(), 0, chunk);
                SamplingWatch watch = new ChunkWatch(monitor, manifest.latent().codePositions(), chunk, chunks, perChunk,
                        images.size(), start, new ChunkPreviews(job.id(), model, manifest.latent(), chunk, chunks,
                                request.sample().previewEvery() == null ? 0 : request.sample().previewEvery()));
                LoadedModel.Sampled sampled;
                try {
                    sampled = model.sample(new LoadedModel.SampleOptions(n, seed, request.sample().temperature(),
                            request.sample().topK(), request.temperatures(), watch));
                } catch (SamplingCancelledException e) {
                    throw new TrainingCancelledException();
                }
                images.addAll(List.of(sampled.images()));
                codes.add(sampled.latents());
                double seconds = (System.nanoTime() - start) / 1e9;
                monitor.onStep(new TrainingMonitor.StepProgress(NAME, 1, (long) (chunk + 1) * perChunk, (long) chunks * perChunk,
                        Double.NaN, images.size() / seconds));
            }
        } finally {
            previews.clear(job.id());
        }
        double samplesPerSecond = count / ((System.nanoTime() - start) / 1e9);
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("model", manifest.name());
        result.put("version", manifest.version());
        result.put("seed", request.seed());
        result.put("count", count);
        result.put("samplesPerSecond", samplesPerSecond);
        // The codes in the one form of their kind, as /sample answers them and /decode takes them back.
        result.put("codes", Latents.concat(codes).json());
        write(job.id(), ImageCodec.grid(manifest.inputShape(), images, ImageCodec.gridColumns(count)), JSON.writeValueAsBytes(result));
        return new JobOutcome.Stored(Map.of("count", count, "samplesPerSecond", samplesPerSecond));
    }

    /**
     * One chunk's sampling loop as the job sees it: stops between two positions when the job is cancelled, and counts
     * each position drawn as a step, so the job's progress (and its events) move while a chunk is drawn.
     */
    private record ChunkWatch(TrainingMonitor monitor, Map<String, Integer> levels, int chunk, int chunks, int perChunk,
            int imagesBefore, long start, ChunkPreviews previews) implements SamplingWatch {

        @Override
        public boolean cancelled() {
            return monitor.isCancelled();
        }

        @Override
        public int previewEvery() {
            return previews.every();
        }

        @Override
        public void preview(String level, int rows, int[][][] grids) {
            previews.preview(level, rows, grids);
        }

        @Override
        public void levelDone(String level, int[][][] grids) {
            previews.levelDone(level, grids);
        }

        @Override
        public void progress(String level, int position, int positions) {
            int before = 0;
            for (Map.Entry<String, Integer> entry : levels.entrySet()) {
                if (entry.getKey().equals(level)) {
                    break;
                }
                before += entry.getValue();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            monitor.onStep(new TrainingMonitor.StepProgress(NAME, 1, (long) chunk * perChunk + before + position,
                    (long) chunks * perChunk, Double.NaN, imagesBefore / seconds));
        }
    }

    /**
     * A chunk's previews for the job's events. Decoded on the job's own thread, between two positions: a job has no
     * caller waiting on the engine, and one decoder pass every {@code every} rows is small beside the rows' prior steps.
     */
    private final class ChunkPreviews {

        private final String jobId;
        private final LoadedModel model;
        private final PreviewCodes codes;
        private final int chunk;
        private final int chunks;
        private final int every;

        ChunkPreviews(String jobId, LoadedModel model, LatentSpec latent, int chunk, int chunks, int every) {
            this.jobId = jobId;
            this.model = model;
            this.codes = new PreviewCodes(latent);
            this.chunk = chunk;
            this.chunks = chunks;
            this.every = every;
        }

        int every() {
            return every;
        }

        void levelDone(String level, int[][][] grids) {
            codes.levelDone(level, grids);
        }

        void preview(String level, int rows, int[][][] grids) {
            Latents latents = codes.codes(level, grids);
            if (latents == null) {
                return;
            }
            try {
                float[][] images = model.decode(List.of(latents)).getFirst();
                byte[] png = ImageCodec.grid(model.shape(), List.of(images), ImageCodec.gridColumns(images.length));
                previews.put(jobId, chunk, chunks, level, rows, Base64.getEncoder().encodeToString(png));
            } catch (RuntimeException e) {
                // A preview is a courtesy: the samples go on without it.
                log.debug("no preview for job {}: {}", jobId, e.toString());
            }
        }
    }

    /** The PNG grid, or the JSON of the model version, seed, samples per second and codes. */
    @Override
    public byte[] download(Job job, boolean png) throws IOException {
        if (job.state() != JobState.SUCCEEDED) {
            throw new JobConflictException("job " + job.id() + " is " + job.state() + (job.state().isTerminal()
                    ? " and has no result; submit it again to draw the samples" : "; its result is ready once it has SUCCEEDED"));
        }
        return Files.readAllBytes(root.resolve(job.id()).resolve(png ? PNG : JSON_FILE));
    }

    /** Writes both files into a fresh folder and moves it into place, so a result is either whole or absent. */
    private void write(String jobId, byte[] png, byte[] json) throws IOException {
        Files.createDirectories(root);
        Path staging = Files.createTempDirectory(root, ".staging-");
        try {
            Files.write(staging.resolve(PNG), png);
            Files.write(staging.resolve(JSON_FILE), json);
            Path target = root.resolve(jobId);
            if (Files.exists(target)) {
                // An earlier attempt finished writing before its worker died: this attempt's result replaces it.
                Directories.deleteRecursively(target);
            }
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            if (Files.exists(staging)) {
                Directories.deleteRecursively(staging);
            }
        }
    }
}
