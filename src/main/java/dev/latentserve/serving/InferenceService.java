package dev.latentserve.serving;

import dev.latentserve.family.InvalidInferenceInputException;
import dev.latentserve.family.InvalidInferenceInputException.Kind;
import dev.latentserve.family.LatentSpec;
import dev.latentserve.family.Latents;
import dev.latentserve.family.LoadedModel;
import dev.latentserve.family.NoPriorException;
import dev.latentserve.family.SamplingLimits;
import dev.latentserve.image.ImageShape;
import dev.latentserve.jobs.Job;
import dev.latentserve.jobs.JobRequest;
import dev.latentserve.jobs.JobService;
import dev.latentserve.npy.NpyArray;
import dev.latentserve.registry.LoadedModels;
import dev.latentserve.registry.MissingPriors;
import dev.latentserve.registry.ModelManifest;
import dev.latentserve.serving.InferenceResults.Decoded;
import dev.latentserve.serving.InferenceResults.Encoded;
import dev.latentserve.serving.InferenceResults.Reconstructed;
import dev.latentserve.serving.InferenceResults.SampleJob;
import dev.latentserve.serving.InferenceResults.SampleOutcome;
import dev.latentserve.serving.InferenceResults.Sampled;
import dev.latentserve.serving.ModelBatcher.Operation;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.springframework.stereotype.Service;

/**
 * The four operations (sample, encode, decode, reconstruct) on a model version: validates the request and checks it
 * against the model on the caller's thread, then queues it on the version's batcher, where it may share an engine
 * call with other requests. Each method returns at once; cancelling the returned future withdraws a request that has
 * not run yet.
 */
@Service
public class InferenceService {

    private final ManifestCache manifests;
    private final LoadedModels models;
    private final ServingProperties properties;
    private final ModelBatchers batchers;
    private final JobService jobs;
    private final ImageInputDecoder imageDecoder;
    private final SamplingLimits samplingLimits;
    private final MeterRegistry meters;

    InferenceService(ManifestCache manifests, LoadedModels models, ServingProperties properties, ModelBatchers batchers,
            JobService jobs, SamplingLimits samplingLimits, MeterRegistry meters) {
        this.meters = meters;
        this.jobs = jobs;
        this.samplingLimits = samplingLimits;
        this.manifests = manifests;
        this.models = models;
        this.properties = properties;
        this.batchers = batchers;
        this.imageDecoder = new ImageInputDecoder(properties.maxImageSide(), properties.strictChannels());
    }

    /**
     * Samples now, or, for a model with an autoregressive prior and more than {@code max-sync-samples} samples, submits a
     * sample job and answers with it.
     *
     * @param temperatures hierarchical models: a temperature per level, overriding {@code temperature}
     */
    public CompletableFuture<SampleOutcome> sample(String reference, int count, @Nullable Long seed, double temperature,
            @Nullable Integer topK, Map<String, Double> temperatures) throws IOException {
        return sample(reference, count, seed, temperature, topK, temperatures, 0, null);
    }

    /**
     * The same, telling {@code listener} the sampling loop's progress and previews ({@link SampleWatch}). Either way a
     * request whose future is cancelled (its caller went away) or times out stops its sampling loop at the next
     * position, and the other requests of its batch go on.
     *
     * @param previewEvery rows between previews, 0 for none; a request that becomes a sample job keeps it for the job's
     *     events
     */
    CompletableFuture<SampleOutcome> sample(String reference, int count, @Nullable Long seed, double temperature,
            @Nullable Integer topK, Map<String, Double> temperatures, int previewEvery, SampleWatch.@Nullable Listener listener)
            throws IOException {
        long actualSeed = seed == null ? ThreadLocalRandom.current().nextLong(1L << 53) : seed;
        // A bare name samples with its newest version that can; the answer names the version.
        ModelManifest manifest = manifests.resolveSampler(reference);
        samplingLimits.problem(temperature, topK, temperatures, manifest.latent(), "").ifPresent(problem -> {
            throw new InvalidInferenceInputException(Kind.OUT_OF_RANGE, problem);
        });
        SamplingLimits.codebookProblem(topK, manifest.latent(), "").ifPresent(problem -> {
            throw new InapplicableSettingException(problem);
        });
        if (manifest.latent().sampling() == LatentSpec.Sampling.NEEDS_PRIOR) {
            throw noPrior(manifest, "sample from");
        }
        boolean autoregressive = manifest.latent().sampling() == LatentSpec.Sampling.AUTOREGRESSIVE;
        // Such a model takes counts up to a sample job's, said here in the request's own words: the job's check would name
        // its field (sample.count) and call it a job.
        if (autoregressive && (count < 1 || count > jobs.maxSampleCount())) {
            throw new InvalidInferenceInputException(Kind.OUT_OF_RANGE, "count must be between 1 and " + jobs.maxSampleCount()
                    + " (more than " + properties.maxSyncSamples() + " are drawn by a sample job), not " + count);
        }
        LoadedModel model = models.get(manifest);
        LoadedModel.SampleOptions options = new LoadedModel.SampleOptions(count, actualSeed, temperature, topK, temperatures);
        if (autoregressive && count > properties.maxSyncSamples()) {
            model.checkSample(options);
            Job job = jobs.submit(JobRequest.sample(manifest.reference(), actualSeed,
                    new JobRequest.SampleSpec(count, temperature, topK, temperatures, previewEvery > 0 ? previewEvery : null)));
            return CompletableFuture.completedFuture(new SampleJob(job));
        }
        checkCount("count", count,
                "; models with an autoregressive prior (VQ-VAE, VQ-VAE-2) take larger counts as a sample job");
        model.checkSample(options);
        SampleWatch watch = new SampleWatch(manifest.name(), model, manifest.latent(), count, meters, listener);
        CompletableFuture<LoadedModel.Sampled> queued = batchers.submit(manifest, new Operation<>("sample", model::sample),
                options.watchedBy(watch), count);
        queued.whenComplete((samples, error) -> watch.ended(error));
        return mapped(queued,
                samples -> new Sampled(manifest.name(), manifest.version(), model.shape(), actualSeed, FiniteOutputs.sampled(samples)));
    }

    public CompletableFuture<Encoded> encode(String reference, List<ImageInput> images, boolean sample, boolean includeVectors,
            @Nullable Long seed) throws IOException {
        return encode(reference, images.size(), shape -> pixels(images, shape), sample, includeVectors, seed);
    }

    /**
     * Encodes the images of an npy array, read as {@link NpyInputs#images} says.
     *
     * @param images (N, C, H, W), (N, H, W) or (N, H, W, C), uint8 or float32
     */
    public CompletableFuture<Encoded> encodeArray(String reference, NpyArray images, boolean sample, boolean includeVectors,
            @Nullable Long seed) throws IOException {
        return encode(reference, count(images), shape -> NpyInputs.images(images, shape), sample, includeVectors, seed);
    }

    private CompletableFuture<Encoded> encode(String reference, int count, Function<ImageShape, float[][]> images, boolean sample,
            boolean includeVectors, @Nullable Long seed) throws IOException {
        checkCount("images", count, "");
        ModelManifest manifest = resolve(reference);
        LoadedModel model = models.get(manifest);
        LoadedModel.EncodeCall call = new LoadedModel.EncodeCall(images.apply(model.shape()),
                new LoadedModel.EncodeOptions(sample, seed == null ? 0L : seed, includeVectors));
        return mapped(batchers.submit(manifest, new Operation<>("encode", model::encode), call, count),
                encoded -> new Encoded(manifest.name(), manifest.version(), FiniteOutputs.encoded(encoded)));
    }

    /** Images in an npy array: its first dimension, 0 for a 0-d array (which the count check refuses). */
    private static int count(NpyArray images) {
        long[] shape = images.shape();
        return shape.length == 0 ? 0 : (int) Math.min(shape[0], Integer.MAX_VALUE);
    }

    /**
     * Decodes latents, codes or unquantised vectors, exactly one of which is given, read in the form the model's latent
     * space takes ({@link Latents#fromRequest}).
     */
    public CompletableFuture<Decoded> decode(String reference, @Nullable List<Latents.@Nullable Sent> latents, @Nullable Object codes,
            @Nullable List<float[]> vectors) throws IOException {
        return decode(reference, spec -> Latents.fromRequest(latents, codes, vectors, spec));
    }

    /**
     * Decodes latents or codes sent as NumPy arrays, read as {@link NpyInputs#latents} says.
     *
     * @param arrays one npy array under the name "", or an npz archive's arrays by name
     */
    public CompletableFuture<Decoded> decodeArrays(String reference, Map<String, NpyArray> arrays) throws IOException {
        return decode(reference, spec -> NpyInputs.latents(arrays, spec));
    }

    /**
     * Decodes what {@code read} makes of the request in the form the model's latent space takes: for callers that hold
     * latents in their own form (npy arrays, the Open Inference Protocol's tensors).
     *
     * @param read the latents for the version's latent space; it throws a problem for input that does not fit
     */
    public CompletableFuture<Decoded> decode(String reference, Function<LatentSpec, Latents> read) throws IOException {
        ModelManifest manifest = resolve(reference);
        Latents input = read.apply(manifest.latent());
        checkCount("latents, codes or vectors", input.count(),
                "; decode more (such as a sample job's codes) in slices of at most " + properties.maxBatch());
        LoadedModel model = models.get(manifest);
        model.checkDecode(input);
        return mapped(batchers.submit(manifest, new Operation<>("decode", model::decode), input, input.count()),
                images -> new Decoded(manifest.name(), manifest.version(), model.shape(), FiniteOutputs.decoded(images, input)));
    }

    public CompletableFuture<Reconstructed> reconstruct(String reference, List<ImageInput> images, @Nullable Long seed)
            throws IOException {
        return reconstruct(reference, images.size(), shape -> pixels(images, shape), seed);
    }

    /** Reconstructs the images of an npy array, read as {@link NpyInputs#images} says. */
    public CompletableFuture<Reconstructed> reconstructArray(String reference, NpyArray images, @Nullable Long seed) throws IOException {
        return reconstruct(reference, count(images), shape -> NpyInputs.images(images, shape), seed);
    }

    private CompletableFuture<Reconstructed> reconstruct(String reference, int count, Function<ImageShape, float[][]> images,
            @Nullable Long seed) throws IOException {
        checkCount("images", count, "");
        ModelManifest manifest = resolve(reference);
        LoadedModel model = models.get(manifest);
        LoadedModel.ReconstructCall call = new LoadedModel.ReconstructCall(images.apply(model.shape()), seed == null ? 0L : seed);
        return mapped(batchers.submit(manifest, new Operation<>("reconstruct", model::reconstruct), call, count),
                reconstructions -> new Reconstructed(manifest.name(), manifest.version(), model.shape(),
                        FiniteOutputs.reconstructed(reconstructions)));
    }

    private ModelManifest resolve(String reference) throws IOException {
        return manifests.resolve(reference);
    }

    /** {@code queued} mapped by {@code f}; cancelling the result cancels (withdraws) the queued request too. */
    static <R, T> CompletableFuture<T> mapped(CompletableFuture<R> queued, Function<R, T> f) {
        CompletableFuture<T> result = queued.thenApply(f);
        result.whenComplete((value, error) -> {
            if (result.isCancelled()) {
                queued.cancel(false);
            }
        });
        return result;
    }

    float[][] pixels(List<ImageInput> images, ImageShape shape) {
        float[][] batch = new float[images.size()][];
        for (int i = 0; i < batch.length; i++) {
            batch[i] = switch (images.get(i)) {
                case ImageInput.Encoded encoded -> imageDecoder.decode(i, encoded.bytes(), shape);
                case ImageInput.Pixels raw -> checkPixels(i, raw.values(), shape);
            };
        }
        return batch;
    }

    private static float[] checkPixels(int index, float[] values, ImageShape shape) {
        if (values.length != shape.size()) {
            throw new InvalidInferenceInputException(Kind.IMAGE_SHAPE_MISMATCH, "pixels " + index + " has " + values.length
                    + " values; the model takes " + ImageInputDecoder.describe(shape) + " = " + shape.size()
                    + " values (CHW order)");
        }
        for (float v : values) {
            if (!(v >= 0f && v <= 1f)) {
                throw new InvalidInferenceInputException(Kind.INVALID_IMAGE, "pixels " + index + " holds " + v
                        + "; every value must be a finite number in [0, 1]");
            }
        }
        return values;
    }

    /** A version without the prior an operation needs (409), in {@link MissingPriors}' words. */
    static NoPriorException noPrior(ModelManifest manifest, String purpose) {
        return new NoPriorException(MissingPriors.detail(manifest, purpose));
    }

    /** @param beyond what to do instead when {@code count} is above the bound, appended to the message; may be empty */
    private void checkCount(String what, int count, String beyond) {
        if (count < 1 || count > properties.maxBatch()) {
            throw new InvalidInferenceInputException(Kind.OUT_OF_RANGE, what + " must be between 1 and " + properties.maxBatch()
                    + ", not " + count + (count > properties.maxBatch() ? beyond : ""));
        }
    }
}
