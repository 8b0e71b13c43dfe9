package dev.latentserve.jobs;

import ai.djl.Device;
import dev.latentserve.config.StorageProperties;
import dev.latentserve.family.Latents;
import dev.latentserve.family.LoadedModel;
import dev.latentserve.family.ModelFamilies;
import dev.latentserve.family.TrainingCancelledException;
import dev.latentserve.family.TrainingLoop;
import dev.latentserve.family.TrainingMonitor;
import dev.latentserve.image.ImageCodec;
import dev.latentserve.registry.ModelManifest;
import dev.latentserve.registry.ModelReference;
import dev.latentserve.registry.ModelRegistry;
import dev.latentserve.storage.Directories;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * Runs sample jobs: draws a large number of samples from a version's prior in chunks, reporting progress and
 * stopping at a cancel between chunks, and stores a PNG grid of the images and a JSON file of their codes under
 * {@code <storage>/job-results/<job id>/}. A chunk is one engine call of up to {@link #CHUNK} samples; the first draws
 * with the job's seed, so a job of at most one chunk gives what {@code /sample} gives for the same seed, and chunk i
 * with a seed mixed from it.
 */
@Component
class SampleJobs {

    static final int CHUNK = 64;
    static final String PNG = "samples.png";
    static final String JSON_FILE = "samples.json";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final ModelRegistry registry;
    private final ModelFamilies families;
    private final Device device;
    private final Path root;

    SampleJobs(ModelRegistry registry, ModelFamilies families, Device engineDevice, StorageProperties storage) {
        this.registry = registry;
        this.families = families;
        this.device = engineDevice;
        this.root = storage.root().resolve("job-results");
    }

    /** The folder of a finished sample job's files. */
    Path resultDirectory(String jobId) {
        return root.resolve(jobId);
    }

    void run(Job job, TrainingMonitor monitor) throws IOException {
        JobRequest request = job.request();
        JobRequest.SampleSpec spec = request.sample();
        ModelManifest manifest = registry.resolve(ModelReference.parse(request.model()));
        int count = spec.count();
        int chunks = (count + CHUNK - 1) / CHUNK;
        List<float[]> images = new ArrayList<>(count);
        List<Latents> codes = new ArrayList<>(chunks);
        long start = System.nanoTime();
        try (LoadedModel model = families.find(manifest.family()).orElseThrow().load(registry.directory(manifest),
                manifest.inputShape(), manifest.architecture(), device)) {
            for (int chunk = 0; chunk < chunks; chunk++) {
                if (monitor.isCancelled()) {
                    throw new TrainingCancelledException();
                }
                int n = Math.min(CHUNK, count - chunk * CHUNK);
                long seed = chunk == 0 ? request.seed() : TrainingLoop.mix(request.seed(), 0, chunk);
                LoadedModel.Sampled sampled = model.sample(new LoadedModel.SampleOptions(n, seed, spec.temperature(), spec.topK(),
                        spec.temperatures() == null ? Map.of() : spec.temperatures()));
                images.addAll(List.of(sampled.images()));
                codes.add(sampled.latents());
                double seconds = (System.nanoTime() - start) / 1e9;
                monitor.onStep(new TrainingMonitor.StepProgress(1, chunk + 1, chunks, Double.NaN, images.size() / seconds));
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("model", manifest.name());
        result.put("version", manifest.version());
        result.put("seed", request.seed());
        result.put("count", count);
        result.put("samplesPerSecond", count / seconds);
        // The codes in the one form of their kind, as /sample answers them and /decode takes them back.
        result.put("codes", Latents.concat(codes).json());
        write(job.id(), ImageCodec.grid(manifest.inputShape(), images, ImageCodec.gridColumns(count)), JSON.writeValueAsBytes(result));
    }

    /** Writes both files into a fresh folder and moves it into place, so a result is either whole or absent. */
    private void write(String jobId, byte[] png, byte[] json) throws IOException {
        Files.createDirectories(root);
        Path staging = Files.createTempDirectory(root, ".staging-");
        try {
            Files.write(staging.resolve(PNG), png);
            Files.write(staging.resolve(JSON_FILE), json);
            Path target = resultDirectory(jobId);
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
