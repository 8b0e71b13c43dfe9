package dev.latentserve.oip;

import dev.latentserve.family.LatentSpec;
import dev.latentserve.image.ImageShape;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The inputs, outputs and request parameters of one protocol model, {@code {name}.{operation}}, for a model version's
 * latent space and image shape. A shape's -1 is the batch dimension; sample's scalar inputs take any shape holding one
 * value.
 *
 * @param parameters the request parameters the operation reads, beside the protocol's {@link #STANDARD_PARAMETERS}
 */
record Signature(List<TensorSpec> inputs, List<TensorSpec> outputs, List<String> parameters) {

    static final String IMAGES = "images";
    static final String LATENTS = "latents";
    static final String CODES = "codes";
    /**
     * Request parameters the protocol, its binary extension or Triton's clients define, taken by every model whether it
     * uses them or not: a client sends them unasked (tritonclient: priority, timeout and the sequence ones).
     */
    static final List<String> STANDARD_PARAMETERS = List.of(InferRequest.BINARY_DATA_OUTPUT, TensorCodec.BINARY_DATA,
            TensorCodec.BINARY_DATA_SIZE, "content_type", "priority", "timeout", "sequence_id", "sequence_start",
            "sequence_end", "headers");

    /** The four operations of a model version, each served as its own protocol model. */
    enum Operation {
        ENCODE, DECODE, SAMPLE, RECONSTRUCT;

        String suffix() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * One tensor of a signature.
     *
     * @param datatype the type metadata declares and outputs have
     * @param accepted the types an input may arrive in (images: FP32 in [0, 1] or UINT8; codes: INT64 or INT32)
     * @param shape -1 for the batch dimension
     * @param scalar sample's settings: any shape with exactly one value
     * @param required whether a request must send it
     */
    record TensorSpec(String name, Datatype datatype, Set<Datatype> accepted, int[] shape, boolean scalar, boolean required) {

        static TensorSpec batch(String name, Datatype datatype, Set<Datatype> accepted, int... dims) {
            int[] shape = new int[dims.length + 1];
            shape[0] = -1;
            System.arraycopy(dims, 0, shape, 1, dims.length);
            return new TensorSpec(name, datatype, Set.copyOf(accepted), shape, false, true);
        }

        static TensorSpec setting(String name, Datatype datatype, Set<Datatype> accepted) {
            return new TensorSpec(name, datatype, Set.copyOf(accepted), new int[] {1}, true, false);
        }
    }

    static Signature of(Operation operation, LatentSpec latent, ImageShape image) {
        TensorSpec images = TensorSpec.batch(IMAGES, Datatype.FP32, Set.of(Datatype.FP32, Datatype.UINT8),
                image.channels(), image.height(), image.width());
        List<TensorSpec> latents = latents(latent);
        return switch (operation) {
            case ENCODE -> new Signature(List.of(images), latentsWithPosterior(latent, latents), List.of());
            case DECODE -> new Signature(latents, List.of(images), List.of());
            case SAMPLE -> {
                List<TensorSpec> settings = List.of(
                        TensorSpec.setting("seed", Datatype.INT64, Set.of(Datatype.INT64, Datatype.INT32)),
                        TensorSpec.setting("count", Datatype.INT32, Set.of(Datatype.INT32, Datatype.INT64)),
                        TensorSpec.setting("temperature", Datatype.FP32, Set.of(Datatype.FP32)),
                        TensorSpec.setting("topK", Datatype.INT32, Set.of(Datatype.INT32, Datatype.INT64)));
                // Each setting comes as an input tensor or as a request parameter of its name.
                yield new Signature(settings, concat(List.of(images), latents), settings.stream().map(TensorSpec::name).toList());
            }
            case RECONSTRUCT -> new Signature(List.of(images), reconstructOutputs(latent, images), List.of("seed"));
        };
    }

    /** The latent tensors of a version: what encode and sample answer and decode takes. */
    private static List<TensorSpec> latents(LatentSpec latent) {
        Set<Datatype> codes = Set.of(Datatype.INT64, Datatype.INT32);
        return switch (latent) {
            case LatentSpec.Gaussian g -> List.of(TensorSpec.batch(LATENTS, Datatype.FP32, Set.of(Datatype.FP32), g.dimension()));
            case LatentSpec.SpatialGaussian s -> List.of(TensorSpec.batch(LATENTS, Datatype.FP32, Set.of(Datatype.FP32),
                    s.channels(), s.grid().get(0), s.grid().get(1)));
            case LatentSpec.CodeGrid grid -> List.of(TensorSpec.batch(CODES, Datatype.INT64, codes, grid.grid().get(0),
                    grid.grid().get(1)));
            case LatentSpec.CodeHierarchy hierarchy -> {
                List<TensorSpec> levels = new ArrayList<>();
                hierarchy.levels().forEach((name, level) -> levels.add(TensorSpec.batch(levelCodes(name), Datatype.INT64, codes,
                        level.grid().get(0), level.grid().get(1))));
                yield levels;
            }
        };
    }

    /** A hierarchy level's codes tensor: {@code top_codes}, {@code bottom_codes}. */
    static String levelCodes(String level) {
        return level + "_" + CODES;
    }

    /** Encode of a Gaussian latent also answers the posterior's mean and log-variance; its latents are the mean. */
    private static List<TensorSpec> latentsWithPosterior(LatentSpec latent, List<TensorSpec> latents) {
        if (!isGaussian(latent)) {
            return latents;
        }
        TensorSpec z = latents.getFirst();
        return List.of(z, renamed(z, "mean"), renamed(z, "log_variance"));
    }

    private static List<TensorSpec> reconstructOutputs(LatentSpec latent, TensorSpec images) {
        TensorSpec mse = TensorSpec.batch("mse", Datatype.FP32, Set.of(Datatype.FP32));
        return isGaussian(latent) ? List.of(images, mse, renamed(mse, "negative_elbo")) : List.of(images, mse);
    }

    static boolean isGaussian(LatentSpec latent) {
        return latent instanceof LatentSpec.Gaussian || latent instanceof LatentSpec.SpatialGaussian;
    }

    private static TensorSpec renamed(TensorSpec spec, String name) {
        return new TensorSpec(name, spec.datatype(), spec.accepted(), spec.shape(), spec.scalar(), spec.required());
    }

    private static List<TensorSpec> concat(List<TensorSpec> a, List<TensorSpec> b) {
        List<TensorSpec> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    /**
     * Checks a request against this signature: every input known, of a type it takes, of its rank with its fixed
     * dimensions, every required one present, all batch inputs of one batch size; every request parameter known; and
     * every output asked for known.
     *
     * @throws InvalidTensorException naming the tensor and what it takes
     */
    void check(InferRequest request, String model) {
        int batch = -1;
        for (Tensor tensor : request.inputs()) {
            TensorSpec spec = inputs.stream().filter(s -> s.name().equals(tensor.name())).findFirst().orElseThrow(
                    () -> new InvalidTensorException("model " + model + " has no input '" + tensor.name() + "'; its inputs are "
                            + names(inputs)));
            if (!spec.accepted().contains(tensor.datatype())) {
                throw new InvalidTensorException("input '" + tensor.name() + "' is " + tensor.datatype() + "; model " + model
                        + " takes it as " + String.join(" or ", spec.accepted().stream().map(Enum::name).sorted().toList()));
            }
            if (spec.scalar()) {
                if (tensor.size() != 1) {
                    throw new InvalidTensorException("input '" + tensor.name() + "' has shape " + Tensor.describe(tensor.shape())
                            + "; it takes exactly one value, shape [1]");
                }
                continue;
            }
            if (!fits(tensor.shape(), spec.shape())) {
                throw new InvalidTensorException("input '" + tensor.name() + "' has shape " + Tensor.describe(tensor.shape())
                        + "; model " + model + " takes " + Tensor.describe(spec.shape()) + " (-1: any batch size)");
            }
            if (batch >= 0 && tensor.rows() != batch) {
                throw new InvalidTensorException("input '" + tensor.name() + "' has a batch of " + tensor.rows() + " but another "
                        + "input has " + batch + ": every input needs the same first dimension");
            }
            batch = tensor.rows();
        }
        for (TensorSpec spec : inputs) {
            if (spec.required() && request.input(spec.name()).isEmpty()) {
                throw new InvalidTensorException("model " + model + " needs input '" + spec.name() + "' ("
                        + spec.datatype() + " " + Tensor.describe(spec.shape()) + ")");
            }
        }
        for (String parameter : request.parameters().keySet()) {
            if (!parameters.contains(parameter) && !STANDARD_PARAMETERS.contains(parameter)) {
                throw new InvalidTensorException("model " + model + " takes no parameter '" + parameter + "'; it takes "
                        + (parameters.isEmpty() ? "none of its own" : String.join(", ", parameters)) + ", and the protocol's "
                        + String.join(", ", STANDARD_PARAMETERS));
            }
        }
        if (request.outputs() != null) {
            for (InferRequest.RequestedOutput output : request.outputs()) {
                if (outputs.stream().noneMatch(s -> s.name().equals(output.name()))) {
                    throw new InvalidTensorException("model " + model + " has no output '" + output.name() + "'; its outputs are "
                            + names(outputs));
                }
                if (output.datatype() != null && output.datatype() != outputs.stream().filter(s -> s.name().equals(output.name()))
                        .findFirst().orElseThrow().datatype() && !(IMAGES.equals(output.name()) && output.datatype() == Datatype.UINT8)) {
                    throw new InvalidTensorException("output '" + output.name() + "' cannot be written as " + output.datatype()
                            + "; only images can, as UINT8");
                }
            }
        }
    }

    private static boolean fits(int[] shape, int[] spec) {
        if (shape.length != spec.length) {
            return false;
        }
        for (int i = 0; i < shape.length; i++) {
            if (spec[i] >= 0 && spec[i] != shape[i]) {
                return false;
            }
        }
        return true;
    }

    private static String names(List<TensorSpec> specs) {
        return String.join(", ", specs.stream().map(TensorSpec::name).toList());
    }
}
