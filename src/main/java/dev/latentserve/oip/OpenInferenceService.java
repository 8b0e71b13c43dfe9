package dev.latentserve.oip;

import dev.latentserve.family.LatentSpec;
import dev.latentserve.family.Latents;
import dev.latentserve.family.LoadedModel;
import dev.latentserve.image.ImageCodec;
import dev.latentserve.image.ImageShape;
import dev.latentserve.oip.Signature.Operation;
import dev.latentserve.registry.MissingPriors;
import dev.latentserve.registry.ModelManifest;
import dev.latentserve.registry.ModelNotFoundException;
import dev.latentserve.registry.ModelReference;
import dev.latentserve.registry.ModelRegistry;
import dev.latentserve.serving.ImageInput;
import dev.latentserve.serving.InferenceResults;
import dev.latentserve.serving.InferenceService;
import dev.latentserve.serving.ServingProperties;
import dev.latentserve.storage.Names;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.stereotype.Service;

/**
 * The protocol's models on top of {@link InferenceService}: each operation of each model version is one protocol model,
 * {@code {name}.encode}, {@code .decode}, {@code .sample} and {@code .reconstruct}, whose tensors {@link Signature}
 * describes. Requests go through the same validation, batchers, limits and metrics as {@code /v1}; this class only turns
 * tensors into the service's inputs and its results into tensors.
 */
@Service
class OpenInferenceService {

    private static final int DEFAULT_COUNT = 16;
    private static final Pattern WHOLE_NUMBER = Pattern.compile("[-+]?[0-9]+");
    /** A decimal number as JSON writes one, with an optional sign; no NaN, Infinity, hexadecimal or type suffix. */
    private static final Pattern NUMBER = Pattern.compile("[-+]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?");

    private final ModelRegistry registry;
    private final InferenceService inference;
    private final ServingProperties serving;
    private final ApplicationAvailability availability;

    OpenInferenceService(ModelRegistry registry, InferenceService inference, ServingProperties serving,
            ApplicationAvailability availability) {
        this.registry = registry;
        this.inference = inference;
        this.serving = serving;
        this.availability = availability;
    }

    /**
     * Whether the service can serve: the application accepts traffic and the registry answers.
     *
     * @return null when ready, else why not
     */
    @Nullable String notReadyReason() {
        if (availability.getReadinessState() != ReadinessState.ACCEPTING_TRAFFIC) {
            return "the service is not accepting traffic (" + availability.getReadinessState() + ")";
        }
        try {
            registry.list();
            return null;
        } catch (RuntimeException e) {
            return "the model registry cannot be read: " + e.getMessage();
        }
    }

    /** A protocol model's name, platform, versions and tensors, for {@code version} or, when null, the newest. */
    OipApi.ModelMetadata metadata(String model, @Nullable String version) {
        Address address = Address.parse(model, version);
        ModelManifest manifest = resolve(address);
        Signature signature = Signature.of(address.operation(), manifest.latent(), manifest.inputShape());
        List<String> versions = address.version() == null
                ? registry.summary(address.name()).versions().stream().map(String::valueOf).toList()
                : List.of(String.valueOf(manifest.version()));
        return new OipApi.ModelMetadata(model, versions, "latentserve_" + manifest.family(),
                signature.inputs().stream().map(OipApi.TensorMetadata::of).toList(),
                signature.outputs().stream().map(OipApi.TensorMetadata::of).toList());
    }

    /**
     * Checks that a protocol model can answer: the version exists, and one asked to sample has a prior.
     *
     * @throws ModelNotFoundException for an unknown model or version (404)
     * @throws InvalidTensorException for a sampler without a prior, which is not ready (400)
     */
    void checkReady(String model, @Nullable String version) {
        Address address = Address.parse(model, version);
        ModelManifest manifest = resolve(address);
        if (address.operation() == Operation.SAMPLE && manifest.latent().sampling() == LatentSpec.Sampling.NEEDS_PRIOR) {
            throw new InvalidTensorException(MissingPriors.detail(manifest, "sample from"));
        }
    }

    /**
     * Runs a request on its protocol model.
     *
     * @throws InvalidTensorException for inputs or outputs that do not fit the model's {@link Signature}
     * @throws ModelNotFoundException for an unknown model or version
     */
    CompletableFuture<InferResponse> infer(String model, @Nullable String version, InferRequest request) throws IOException {
        Address address = Address.parse(model, version);
        ModelManifest manifest = resolve(address);
        Signature signature = Signature.of(address.operation(), manifest.latent(), manifest.inputShape());
        signature.check(request, model);
        String reference = address.reference();
        CompletableFuture<Answer> answer = switch (address.operation()) {
            case ENCODE -> inference.encode(reference, images(request), false, false, null)
                    .thenApply(r -> new Answer(r.version(), latentTensors(r.encoded().latents()), Map.of()));
            case DECODE -> decode(reference, manifest.latent(), request)
                    .thenApply(r -> new Answer(r.version(), List.of(images(r.images(), r.shape(), request)), Map.of()));
            case RECONSTRUCT -> inference.reconstruct(reference, images(request), longSetting(request, "seed"))
                    .thenApply(r -> new Answer(r.version(), reconstructed(r, request), Map.of()));
            case SAMPLE -> sample(reference, manifest, request);
        };
        Set<String> asked = request.outputs() == null ? null
                : request.outputs().stream().map(InferRequest.RequestedOutput::name).collect(Collectors.toSet());
        return answer.thenApply(a -> new InferResponse(model, Integer.toString(a.version()), request.id(), a.parameters(),
                a.outputs().stream().filter(t -> asked == null || asked.contains(t.name())).toList()));
    }

    /** What an operation answered, before the outputs not asked for are left out. */
    private record Answer(int version, List<Tensor> outputs, Map<String, Object> parameters) {
    }

    private ModelManifest resolve(Address address) {
        ModelReference reference = new ModelReference(address.name(), address.version());
        return address.operation() == Operation.SAMPLE ? registry.resolveSampler(reference) : registry.resolve(reference);
    }

    private CompletableFuture<InferenceResults.Decoded> decode(String reference, LatentSpec latent, InferRequest request)
            throws IOException {
        if (Signature.isGaussian(latent)) {
            Tensor.Floats latents = (Tensor.Floats) request.input(Signature.LATENTS).orElseThrow();
            int[] nesting = java.util.Arrays.copyOfRange(latents.shape(), 1, latents.shape().length);
            List<Latents.Sent> sent = new ArrayList<>();
            for (int i = 0; i < latents.rows(); i++) {
                sent.add(new Latents.Sent(latents.row(i), nesting));
            }
            return inference.decode(reference, sent, null, null);
        }
        return inference.decode(reference, spec -> codes(request, spec));
    }

    /** The code tensors as the code grids the model's latent space takes, read without a detour through JSON's form. */
    private static Latents codes(InferRequest request, LatentSpec spec) {
        return switch (spec) {
            case LatentSpec.CodeGrid grid -> new Latents.CodeGrids(grids(request, Signature.CODES, grid.codes()));
            case LatentSpec.CodeHierarchy hierarchy -> {
                Map<String, List<int[][]>> levels = new LinkedHashMap<>();
                hierarchy.levels().forEach((level, codes) -> levels.put(level,
                        grids(request, Signature.levelCodes(level), codes.codes())));
                yield new Latents.CodeHierarchy(levels);
            }
            case LatentSpec.Gaussian g -> throw new IllegalStateException("Gaussian latents are not codes");
            case LatentSpec.SpatialGaussian g -> throw new IllegalStateException("Gaussian latents are not codes");
        };
    }

    /**
     * An [n, h, w] code tensor, whose shape {@link Signature} checked, as grids; each code in [0, K), which also keeps it
     * within the int a grid holds.
     */
    private static List<int[][]> grids(InferRequest request, String name, int codebook) {
        Tensor.Integers codes = (Tensor.Integers) request.input(name).orElseThrow();
        int[] shape = codes.shape();
        long[] values = codes.values();
        return Latents.CodeGrids.unflatten(shape[0], shape[1], shape[2], at -> {
            if (values[at] < 0 || values[at] >= codebook) {
                throw new InvalidTensorException("input '" + name + "' value " + at + " is " + values[at] + ", no code of this "
                        + "model: its codebook holds codes 0 to " + (codebook - 1));
            }
            return (int) values[at];
        });
    }

    private CompletableFuture<Answer> sample(String reference, ModelManifest manifest, InferRequest request) throws IOException {
        Long countSetting = longSetting(request, "count");
        long count = countSetting == null ? DEFAULT_COUNT : countSetting;
        // /v1 turns a long autoregressive draw into a sample job; a protocol request has no job to answer with, so such a
        // model's bounds are those of a request answered at once. Checked here, on the count as sent, so that the message
        // names the value the caller sent and no /v1 advice about sample jobs.
        boolean autoregressive = manifest.latent().sampling() == LatentSpec.Sampling.AUTOREGRESSIVE;
        int most = autoregressive ? Math.min(serving.maxSyncSamples(), serving.maxBatch()) : serving.maxBatch();
        if (count < 1 || count > most) {
            throw new InvalidTensorException("count must be between 1 and " + most + (autoregressive ? " for " + reference : "")
                    + ", not " + count + (autoregressive ? "; POST /v1/models/" + reference + "/sample draws more as a sample job"
                    : ""));
        }
        Long topK = longSetting(request, "topK");
        if (topK != null && (topK < Integer.MIN_VALUE || topK > Integer.MAX_VALUE)) {
            throw new InvalidTensorException("topK must be a whole number that INT32 holds, not " + topK);
        }
        double temperature = doubleSetting(request, "temperature", 1.0);
        return inference.sample(reference, (int) count, longSetting(request, "seed"), temperature,
                topK == null ? null : topK.intValue(), Map.of()).thenApply(outcome -> switch (outcome) {
                    case InferenceResults.Sampled s -> {
                        List<Tensor> outputs = new ArrayList<>();
                        outputs.add(images(s.samples().images(), s.shape(), request));
                        outputs.addAll(latentTensors(s.samples().latents()));
                        yield new Answer(s.version(), outputs, Map.of("seed", s.seed()));
                    }
                    case InferenceResults.SampleJob job -> throw new IllegalStateException("a sample job from a checked count");
                });
    }

    /** A sample setting from its input tensor or the request's parameters; null when neither has it. */
    private static @Nullable Long longSetting(InferRequest request, String name) {
        return switch (setting(request, name)) {
            case null -> null;
            case Tensor.Integers tensor -> tensor.values()[0];
            case Long parameter -> parameter;
            // As /v1's JSON takes "2" for 2: clients that write every parameter as a string.
            case String text when WHOLE_NUMBER.matcher(text).matches() -> wholeNumber(name, text);
            case Object other -> throw new InvalidTensorException("parameter '" + name + "' must be a whole number (or one "
                    + "written as a string, \"2\"), not " + describe(other));
        };
    }

    private static double doubleSetting(InferRequest request, String name, double fallback) {
        return switch (setting(request, name)) {
            case null -> fallback;
            case Tensor.Floats tensor -> tensor.values()[0];
            case Number parameter -> parameter.doubleValue();
            case String text when NUMBER.matcher(text).matches() -> Double.parseDouble(text);
            case Object other -> throw new InvalidTensorException("parameter '" + name + "' must be a number (or one written "
                    + "as a string, \"0.8\"), not " + describe(other));
        };
    }

    private static long wholeNumber(String name, String text) {
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException beyondLong) {
            throw new InvalidTensorException("parameter '" + name + "' is " + text + ", beyond the whole numbers INT64 holds");
        }
    }

    private static String describe(Object value) {
        return value instanceof String text ? "\"" + text + "\"" : String.valueOf(value);
    }

    private static @Nullable Object setting(InferRequest request, String name) {
        Tensor input = request.input(name).orElse(null);
        Object parameter = request.parameters().get(name);
        if (input != null && parameter != null) {
            throw new InvalidTensorException("'" + name + "' is given both as an input and as a parameter: send it once");
        }
        return input != null ? input : parameter;
    }

    /** The images input as the service's raw pixels: FP32 as sent (the service checks [0, 1]), UINT8 scaled by 1/255. */
    private static List<ImageInput> images(InferRequest request) {
        Tensor images = request.input(Signature.IMAGES).orElseThrow();
        List<ImageInput> inputs = new ArrayList<>();
        for (int i = 0; i < images.rows(); i++) {
            float[] row = switch (images) {
                case Tensor.Floats floats -> floats.row(i);
                case Tensor.Integers bytes -> {
                    int n = bytes.rowSize();
                    float[] pixels = new float[n];
                    for (int j = 0; j < n; j++) {
                        pixels[j] = bytes.values()[i * n + j] / 255f;
                    }
                    yield pixels;
                }
            };
            inputs.add(new ImageInput.Pixels(row));
        }
        return inputs;
    }

    /** Images as the {@code images} output: FP32 in [0, 1], or UINT8 (as PNG rounds them) when asked so. */
    private static Tensor images(float[][] images, ImageShape shape, InferRequest request) {
        int[] dims = {images.length, shape.channels(), shape.height(), shape.width()};
        float[] flat = concat(List.of(images));
        if (request.outputDatatype(Signature.IMAGES) == Datatype.UINT8) {
            long[] bytes = new long[flat.length];
            for (int i = 0; i < flat.length; i++) {
                bytes[i] = ImageCodec.toByte(flat[i]);
            }
            return new Tensor.Integers(Signature.IMAGES, Datatype.UINT8, dims, bytes);
        }
        return new Tensor.Floats(Signature.IMAGES, dims, flat);
    }

    private static List<Tensor> reconstructed(InferenceResults.Reconstructed result, InferRequest request) {
        List<LoadedModel.Reconstruction> items = result.reconstructions();
        int n = items.size();
        List<Tensor> outputs = new ArrayList<>();
        outputs.add(images(items.stream().map(LoadedModel.Reconstruction::pixels).toArray(float[][]::new), result.shape(), request));
        float[] mse = new float[n];
        float[] negativeElbo = new float[n];
        boolean scored = true;
        for (int i = 0; i < n; i++) {
            mse[i] = (float) items.get(i).mse();
            Double elbo = items.get(i).negativeElbo();
            scored &= elbo != null;
            negativeElbo[i] = elbo == null ? 0f : elbo.floatValue();
        }
        outputs.add(new Tensor.Floats("mse", new int[] {n}, mse));
        if (scored) {
            outputs.add(new Tensor.Floats("negative_elbo", new int[] {n}, negativeElbo));
        }
        return outputs;
    }

    /** Latents as the tensors {@link Signature} names: latents (with mean and log_variance of posteriors) or codes. */
    static List<Tensor> latentTensors(Latents latents) {
        int n = latents.count();
        return switch (latents) {
            case Latents.GaussianVectors z -> List.of(floats(Signature.LATENTS, z.vectors(), n));
            case Latents.GaussianMaps z -> List.of(floats(Signature.LATENTS, z.maps(), n, mapDims(z.shape())));
            case Latents.GaussianPosteriors p -> posteriorTensors(p.posteriors(), n);
            case Latents.GaussianMapPosteriors p -> posteriorTensors(p.posteriors(), n, mapDims(p.shape()));
            case Latents.CodeGrids grids -> List.of(codes(Signature.CODES, grids.grids()));
            case Latents.CodeHierarchy hierarchy -> hierarchy.levels().entrySet().stream()
                    .map(level -> (Tensor) codes(Signature.levelCodes(level.getKey()), level.getValue())).toList();
            case Latents.UnquantisedVectors v -> throw new IllegalStateException("encode was not asked for unquantised vectors");
        };
    }

    private static int[] mapDims(Latents.MapShape shape) {
        return new int[] {shape.channels(), shape.height(), shape.width()};
    }

    private static List<Tensor> posteriorTensors(List<Latents.GaussianPosteriors.Posterior> posteriors, int n, int... dims) {
        return List.of(floats(Signature.LATENTS, posteriors.stream().map(p -> p.z()).toList(), n, dims),
                floats("mean", posteriors.stream().map(p -> p.mean()).toList(), n, dims),
                floats("log_variance", posteriors.stream().map(p -> p.logVariance()).toList(), n, dims));
    }

    /** Rows of equal length as an [n, dims...] tensor; no dims: [n, row length]. */
    private static Tensor floats(String name, List<float[]> rows, int n, int... dims) {
        float[] flat = concat(rows);
        int[] shape;
        if (dims.length == 0) {
            shape = new int[] {n, n == 0 ? 0 : rows.getFirst().length};
        } else {
            shape = new int[dims.length + 1];
            shape[0] = n;
            System.arraycopy(dims, 0, shape, 1, dims.length);
        }
        return new Tensor.Floats(name, shape, flat);
    }

    private static Tensor codes(String name, List<int[][]> grids) {
        Latents.CodeGrids.Flat flat = Latents.CodeGrids.flatten(grids);
        return new Tensor.Integers(name, Datatype.INT64, new int[] {flat.count(), flat.height(), flat.width()},
                java.util.Arrays.stream(flat.codes()).asLongStream().toArray());
    }

    private static float[] concat(List<float[]> rows) {
        int total = rows.stream().mapToInt(r -> r.length).sum();
        float[] flat = new float[total];
        int at = 0;
        for (float[] row : rows) {
            System.arraycopy(row, 0, flat, at, row.length);
            at += row.length;
        }
        return flat;
    }

    /**
     * A protocol model name and version taken apart: {@code fashion-vae.encode} version {@code 2} is operation encode of
     * {@code fashion-vae@2}. A model name may itself hold dots: the operation is after the last one.
     */
    record Address(String name, Operation operation, @Nullable Integer version) {

        static Address parse(String model, @Nullable String version) {
            int dot = model.lastIndexOf('.');
            Operation operation = null;
            if (dot > 0) {
                for (Operation candidate : Operation.values()) {
                    if (candidate.suffix().equals(model.substring(dot + 1))) {
                        operation = candidate;
                    }
                }
            }
            String name = dot > 0 ? model.substring(0, dot) : model;
            if (operation == null || !Names.isSafe(name)) {
                throw new ModelNotFoundException("no model '" + model + "': models are named {name}.encode, {name}.decode, "
                        + "{name}.sample or {name}.reconstruct after a model of GET /v1/models");
            }
            return new Address(name, operation, version == null ? null : version(model, version));
        }

        private static int version(String model, String version) {
            try {
                int parsed = Integer.parseInt(version);
                if (parsed >= 1) {
                    return parsed;
                }
            } catch (NumberFormatException e) {
                // answered below like any other version that does not exist
            }
            throw new ModelNotFoundException("model " + model + " has no version '" + version + "'; versions are whole numbers "
                    + "from 1, listed by GET /v2/models/" + model);
        }

        String reference() {
            return version == null ? name : name + "@" + version;
        }
    }
}
