package dev.latentserve.serving;

import dev.latentserve.family.LoadedModel;
import dev.latentserve.image.ImageCodec;
import dev.latentserve.image.ImageShape;
import dev.latentserve.image.InvalidImageException;
import dev.latentserve.registry.LoadedModels;
import dev.latentserve.registry.ModelManifest;
import dev.latentserve.registry.ModelReference;
import dev.latentserve.registry.ModelRegistry;
import dev.latentserve.serving.InferenceResults.Decoded;
import dev.latentserve.serving.InferenceResults.Encoded;
import dev.latentserve.serving.InferenceResults.Reconstructed;
import dev.latentserve.serving.InferenceResults.Sampled;
import dev.latentserve.family.InvalidInferenceInputException;
import dev.latentserve.family.InvalidInferenceInputException.Kind;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;
import org.springframework.stereotype.Service;

/**
 * The four operations (sample, encode, decode, reconstruct) on a model version: validates inputs
 * against the model, runs it, and records a timer and the batch size per model, version and operation.
 */
@Service
public class InferenceService {

    private final ModelRegistry registry;
    private final LoadedModels models;
    private final ServingProperties properties;
    private final MeterRegistry meters;
    private final ModelQueues queues;

    InferenceService(ModelRegistry registry, LoadedModels models, ServingProperties properties, MeterRegistry meters,
            ModelQueues queues) {
        this.registry = registry;
        this.models = models;
        this.properties = properties;
        this.meters = meters;
        this.queues = queues;
    }

    public Sampled sample(String reference, int count, @Nullable Long seed, double temperature, @Nullable Integer topK)
            throws IOException {
        checkCount("count", count);
        if (!(temperature > 0 && temperature <= properties.maxTemperature())) {
            throw new InvalidInferenceInputException(Kind.OUT_OF_RANGE,
                    "temperature must be in (0, " + properties.maxTemperature() + "], not " + temperature);
        }
        if (topK != null && topK < 1) {
            throw new InvalidInferenceInputException(Kind.OUT_OF_RANGE, "topK must be at least 1, not " + topK);
        }
        long actualSeed = seed == null ? ThreadLocalRandom.current().nextLong(1L << 53) : seed;
        return run(reference, "sample", count, (manifest, model) -> {
            LoadedModel.Sampled samples = model.sample(new LoadedModel.SampleOptions(count, actualSeed, temperature, topK));
            return new Sampled(manifest.name(), manifest.version(), model.shape(), actualSeed, samples);
        });
    }

    public Encoded encode(String reference, List<ImageInput> images, boolean sample, boolean includeVectors, @Nullable Long seed)
            throws IOException {
        checkCount("images", images.size());
        LoadedModel.EncodeOptions options = new LoadedModel.EncodeOptions(sample, seed == null ? 0L : seed, includeVectors);
        return run(reference, "encode", images.size(), (manifest, model) -> new Encoded(manifest.name(), manifest.version(),
                model.encode(pixels(images, model.shape()), options)));
    }

    public Decoded decode(String reference, LoadedModel.DecodeInput input) throws IOException {
        checkCount("latents, codes or vectors", input.count());
        return run(reference, "decode", input.count(), (manifest, model) ->
                new Decoded(manifest.name(), manifest.version(), model.shape(), model.decode(input)));
    }

    public Reconstructed reconstruct(String reference, List<ImageInput> images, @Nullable Long seed) throws IOException {
        checkCount("images", images.size());
        long actualSeed = seed == null ? 0L : seed;
        return run(reference, "reconstruct", images.size(), (manifest, model) -> new Reconstructed(manifest.name(),
                manifest.version(), model.shape(), model.reconstruct(pixels(images, model.shape()), actualSeed)));
    }

    /** Resolves the model and runs the operation on its workers (bounded queue, timeout). */
    private <T> T run(String reference, String operation, int batch, Operation<T> work) throws IOException {
        ModelManifest manifest = registry.resolve(ModelReference.parse(reference));
        LoadedModel model = models.get(manifest);
        return queues.call(manifest, operation, () -> timed(manifest, model, operation, batch, work));
    }

    /** Times the operation in the engine and records the batch size. */
    private <T> T timed(ModelManifest manifest, LoadedModel model, String operation, int batch, Operation<T> work) {
        String version = Integer.toString(manifest.version());
        Timer.Sample timing = Timer.start(meters);
        String outcome = "success";
        try {
            return work.apply(manifest, model);
        } catch (RuntimeException e) {
            outcome = e instanceof InvalidInferenceInputException || e instanceof dev.latentserve.family.NoPriorException
                    ? "invalid" : "error";
            throw e;
        } finally {
            timing.stop(Timer.builder("latentserve.inference")
                    .description("time to run one inference request in the engine")
                    .tags("model", manifest.name(), "version", version, "operation", operation, "outcome", outcome)
                    .publishPercentileHistogram()
                    .register(meters));
            DistributionSummary.builder("latentserve.inference.batch.size")
                    .description("images or latents per inference request")
                    .tags("model", manifest.name(), "operation", operation)
                    .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64, 128, 256)
                    .register(meters)
                    .record(batch);
        }
    }

    private float[][] pixels(List<ImageInput> images, ImageShape shape) {
        float[][] batch = new float[images.size()][];
        for (int i = 0; i < batch.length; i++) {
            batch[i] = switch (images.get(i)) {
                case ImageInput.Encoded encoded -> decodeImage(i, encoded.bytes(), shape);
                case ImageInput.Pixels raw -> checkPixels(i, raw.values(), shape);
            };
        }
        return batch;
    }

    private float[] decodeImage(int index, byte[] bytes, ImageShape shape) {
        ImageCodec.Decoded decoded;
        try {
            decoded = ImageCodec.decode(bytes, properties.maxImageSide());
        } catch (InvalidImageException e) {
            throw new InvalidInferenceInputException(Kind.INVALID_IMAGE, "image " + index + ": " + e.getMessage());
        }
        if (!decoded.shape().equals(shape)) {
            throw new InvalidInferenceInputException(Kind.IMAGE_SHAPE_MISMATCH, "image " + index + " is " + describe(decoded.shape())
                    + "; the model takes " + describe(shape));
        }
        return decoded.pixels();
    }

    private static float[] checkPixels(int index, float[] values, ImageShape shape) {
        if (values.length != shape.size()) {
            throw new InvalidInferenceInputException(Kind.IMAGE_SHAPE_MISMATCH, "pixels " + index + " has " + values.length
                    + " values; the model takes " + describe(shape) + " = " + shape.size() + " values (CHW order)");
        }
        for (float v : values) {
            if (!(v >= 0f && v <= 1f)) {
                throw new InvalidInferenceInputException(Kind.INVALID_IMAGE, "pixels " + index + " holds " + v
                        + "; every value must be a finite number in [0, 1]");
            }
        }
        return values;
    }

    private void checkCount(String what, int count) {
        if (count < 1 || count > properties.maxBatch()) {
            throw new InvalidInferenceInputException(Kind.OUT_OF_RANGE,
                    what + " must number between 1 and " + properties.maxBatch() + ", not " + count);
        }
    }

    private static String describe(ImageShape shape) {
        return shape.width() + "x" + shape.height() + (shape.channels() == 1 ? " grey" : " RGB");
    }

    @FunctionalInterface
    private interface Operation<T> {
        T apply(ModelManifest manifest, LoadedModel model);
    }
}
