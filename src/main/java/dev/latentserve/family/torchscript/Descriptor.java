package dev.latentserve.family.torchscript;

import dev.latentserve.family.InvalidImportException;
import dev.latentserve.image.ImageShape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The descriptor {@value #FILE} of an imported version, read strictly: every field of the form below, no other.
 *
 * <pre>
 * {"format": 1, "family": "vae" | "vqvae", "inputShape": [C, H, W],
 *  "normalization": {"mean": [C numbers], "std": [C numbers]},
 *  "encoderOutput": "mean-logvar" | "moments",            (vae only)
 *  "latentShape": [d] | [c, h, w] (vae), [h, w] (vqvae: the code grid),
 *  "scalingFactor": s, "shiftFactor": t,                  (vae only, optional: 1 and 0)
 *  "decoderOutput": {"kind": "bernoulli-logits" | "gaussian-mean" | "image"},
 *  "likelihood": {"kind": "bernoulli"} | {"kind": "gaussian", "sigma": sigma} | null,   (optional: null)
 *  "exporter": "torch 2.7.1"}                             (optional)
 * </pre>
 *
 * <p>Pixels x in [0, 1] reach the encoder as (x - mean) / std per channel. The encoder answers, for a batch of N:
 * {@code mean-logvar} a tuple (mean, logvar) of (N, *latentShape) each; {@code moments} one (N, 2c, h, w) tensor,
 * mean and logvar concatenated on dimension 1; a vqvae encoder z_e (N, D, h, w). The decoder takes z (N, *latentShape) in
 * the model's own space, or the quantised vectors (N, D, h, w), and answers (N, C, H, W): Bernoulli logits over the
 * pixels (which needs mean 0 and std 1), or a Gaussian mean or an image in the normalised space, turned into pixels as
 * out * std + mean clamped to [0, 1]. The latent shown to callers is (z - shiftFactor) * scalingFactor, as latent
 * diffusion scales its autoencoder's latents. The likelihood, in the normalised space, gives reconstructions their
 * negative ELBO; without one they carry none.
 *
 * @param mean per channel, in pixel units
 * @param std per channel, positive
 * @param encoderOutput vae only
 * @param likelihood null when the version reports no negative ELBO
 */
record Descriptor(Kind kind, ImageShape inputShape, double[] mean, double[] std, @Nullable EncoderOutput encoderOutput,
        List<Integer> latentShape, double scalingFactor, double shiftFactor, DecoderOutput decoderOutput,
        @Nullable Likelihood likelihood, @Nullable String exporter) {

    static final String FILE = "latentserve-model.json";
    static final int FORMAT = 1;
    /** The largest side of a latent shape and the most numbers a latent may hold. */
    private static final int MAX_LATENT_SIDE = 65_536;
    private static final long MAX_LATENT_SIZE = 1 << 24;
    private static final List<String> FIELDS = List.of("format", "family", "inputShape", "normalization", "encoderOutput",
            "latentShape", "scalingFactor", "shiftFactor", "decoderOutput", "likelihood", "exporter");

    Descriptor {
        latentShape = List.copyOf(latentShape);
    }

    /** The kind of model: a Gaussian VAE or a vector-quantised VAE. */
    enum Kind {
        VAE("vae"), VQVAE("vqvae");

        final String json;

        Kind(String json) {
            this.json = json;
        }
    }

    enum EncoderOutput {
        /** A tuple (mean, logvar). */
        MEAN_LOGVAR("mean-logvar"),
        /** One tensor, mean and logvar concatenated on dimension 1. */
        MOMENTS("moments");

        final String json;

        EncoderOutput(String json) {
            this.json = json;
        }
    }

    enum DecoderOutput {
        /** Logits of a Bernoulli distribution per pixel: pixels are their sigmoid. */
        BERNOULLI_LOGITS("bernoulli-logits"),
        /** The mean of a Gaussian in the normalised space. */
        GAUSSIAN_MEAN("gaussian-mean"),
        /** An image in the normalised space. */
        IMAGE("image");

        final String json;

        DecoderOutput(String json) {
            this.json = json;
        }
    }

    /** p(x|z) of the reconstruction term of the ELBO. */
    sealed interface Likelihood {

        /** Bernoulli over pixels in [0, 1], with the decoder's logits. */
        record Bernoulli() implements Likelihood {
        }

        /** N(out, sigma^2 I) over the normalised pixels. */
        record Gaussian(double sigma) implements Likelihood {
        }
    }

    /**
     * Reads a descriptor from its JSON, as Jackson gives it (maps, lists, numbers, strings).
     *
     * @param source how messages name where the JSON came from, such as {@value #FILE}
     * @throws InvalidImportException naming the first field that does not fit, and how
     */
    static Descriptor parse(Map<String, ?> json, String source) {
        Reader read = new Reader(source);
        read.onlyKnown(json, FIELDS, "");
        Object format = read.required(json, "format");
        if (!(format instanceof Number n) || n.doubleValue() != FORMAT) {
            throw read.invalid("format", "must be " + FORMAT + " (the format this service reads), not " + describe(format));
        }
        Kind kind = read.choice(json, "family", Kind.values(), k -> k.json);
        List<Integer> input = read.positiveIntegers(json, "inputShape", 3, "[C, H, W]");
        if ((input.get(0) != 1 && input.get(0) != 3) || input.get(1) > ImageShape.MAX_SIDE || input.get(2) > ImageShape.MAX_SIDE) {
            throw read.invalid("inputShape", "must be [C, H, W] with 1 (grey) or 3 (RGB) channels and sides up to "
                    + ImageShape.MAX_SIDE + ", not " + input);
        }
        ImageShape shape = new ImageShape(input.get(0), input.get(1), input.get(2));
        Map<String, ?> normalization = read.object(json, "normalization");
        read.onlyKnown(normalization, List.of("mean", "std"), "normalization.");
        double[] mean = read.numbers(normalization, "normalization.mean", shape.channels(), false);
        double[] std = read.numbers(normalization, "normalization.std", shape.channels(), true);
        boolean vae = kind == Kind.VAE;
        for (String vaeOnly : List.of("encoderOutput", "scalingFactor", "shiftFactor")) {
            if (!vae && json.containsKey(vaeOnly)) {
                throw read.invalid(vaeOnly, "applies to family \"vae\" only; remove it for a vqvae");
            }
        }
        EncoderOutput encoderOutput = vae ? read.choice(json, "encoderOutput", EncoderOutput.values(), e -> e.json) : null;
        List<Integer> latentShape = latentShape(read, json, kind, encoderOutput);
        double scalingFactor = vae ? read.number(json, "scalingFactor", 1.0) : 1.0;
        // Latent-diffusion VAEs publish factors near 0.1-10; beyond these bounds every latent overflows or vanishes in
        // float32, so such a descriptor would import and then fail every request.
        if (!(scalingFactor >= 1e-6 && scalingFactor <= 1e6)) {
            throw read.invalid("scalingFactor", "must be a positive number from 1e-6 to 1e6, not " + scalingFactor);
        }
        double shiftFactor = vae ? read.number(json, "shiftFactor", 0.0) : 0.0;
        if (!(Math.abs(shiftFactor) <= 1e6)) {
            throw read.invalid("shiftFactor", "must be a number from -1e6 to 1e6, not " + shiftFactor);
        }
        Map<String, ?> decoder = read.object(json, "decoderOutput");
        read.onlyKnown(decoder, List.of("kind"), "decoderOutput.");
        DecoderOutput decoderOutput = read.choice(decoder, "decoderOutput.kind", "kind", DecoderOutput.values(), d -> d.json);
        Likelihood likelihood = likelihood(read, json, decoderOutput);
        if (decoderOutput == DecoderOutput.BERNOULLI_LOGITS && (Arrays.stream(mean).anyMatch(m -> m != 0)
                || Arrays.stream(std).anyMatch(s -> s != 1))) {
            throw read.invalid("normalization", "must be mean 0 and std 1 per channel for decoderOutput \"bernoulli-logits\" "
                    + "(a Bernoulli likelihood is over the pixels in [0, 1] as they are), not mean " + Arrays.toString(mean)
                    + " and std " + Arrays.toString(std));
        }
        Object exporter = json.get("exporter");
        if (exporter != null && !(exporter instanceof String text && text.length() <= 200)) {
            throw read.invalid("exporter", "must be a string of at most 200 characters such as \"torch 2.7.1\", not "
                    + (exporter instanceof String text ? "one of " + text.length() : describe(exporter)));
        }
        return new Descriptor(kind, shape, mean, std, encoderOutput, latentShape, scalingFactor, shiftFactor, decoderOutput,
                likelihood, (String) exporter);
    }

    private static List<Integer> latentShape(Reader read, Map<String, ?> json, Kind kind, @Nullable EncoderOutput encoderOutput) {
        List<Integer> shape;
        if (kind == Kind.VQVAE) {
            shape = read.positiveIntegers(json, "latentShape", 2, "[h, w], the code grid");
        } else if (encoderOutput == EncoderOutput.MOMENTS) {
            shape = read.positiveIntegers(json, "latentShape", 3, "[c, h, w], as encoderOutput \"moments\" needs");
        } else {
            shape = read.positiveIntegers(json, "latentShape", -1, "[d] or [c, h, w]");
            if (shape.size() != 1 && shape.size() != 3) {
                throw read.invalid("latentShape", "must be [d] or [c, h, w], not " + shape);
            }
        }
        long size = 1;
        for (int side : shape) {
            size *= side;
        }
        if (shape.stream().anyMatch(side -> side > MAX_LATENT_SIDE) || size > MAX_LATENT_SIZE) {
            throw read.invalid("latentShape", shape + " is larger than this service takes (" + MAX_LATENT_SIZE
                    + " numbers per image)");
        }
        return shape;
    }

    private static @Nullable Likelihood likelihood(Reader read, Map<String, ?> json, DecoderOutput decoderOutput) {
        Object value = json.get("likelihood");
        if (value == null) {
            return null;
        }
        Map<String, ?> likelihood = read.object(json, "likelihood");
        String kind = String.valueOf(likelihood.get("kind"));
        switch (kind) {
            case "bernoulli" -> {
                read.onlyKnown(likelihood, List.of("kind"), "likelihood.");
                if (decoderOutput != DecoderOutput.BERNOULLI_LOGITS) {
                    throw read.invalid("likelihood", "\"bernoulli\" needs decoderOutput \"bernoulli-logits\", not \""
                            + decoderOutput.json + "\"");
                }
                return new Likelihood.Bernoulli();
            }
            case "gaussian" -> {
                read.onlyKnown(likelihood, List.of("kind", "sigma"), "likelihood.");
                if (decoderOutput == DecoderOutput.BERNOULLI_LOGITS) {
                    throw read.invalid("likelihood", "\"gaussian\" needs decoderOutput \"gaussian-mean\" or \"image\", not "
                            + "\"bernoulli-logits\"");
                }
                double sigma = read.number(likelihood, "likelihood.sigma", "sigma", Double.NaN);
                if (!(sigma >= 1e-6 && sigma <= 1e6)) {
                    throw read.invalid("likelihood.sigma", "must be a positive number from 1e-6 to 1e6 (the Gaussian's standard "
                            + "deviation in the normalised space), not " + describe(likelihood.get("sigma")));
                }
                return new Likelihood.Gaussian(sigma);
            }
            default -> throw read.invalid("likelihood.kind", "must be \"bernoulli\" or \"gaussian\" (or likelihood null), not "
                    + describe(likelihood.get("kind")));
        }
    }

    /** The descriptor in its JSON form, every field given (defaults filled in), in the order of {@link #FIELDS}. */
    Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("format", FORMAT);
        map.put("family", kind.json);
        map.put("inputShape", List.of(inputShape.channels(), inputShape.height(), inputShape.width()));
        Map<String, Object> normalization = new LinkedHashMap<>();
        normalization.put("mean", Arrays.stream(mean).boxed().toList());
        normalization.put("std", Arrays.stream(std).boxed().toList());
        map.put("normalization", normalization);
        if (encoderOutput != null) {
            map.put("encoderOutput", encoderOutput.json);
        }
        map.put("latentShape", latentShape);
        if (kind == Kind.VAE) {
            map.put("scalingFactor", scalingFactor);
            map.put("shiftFactor", shiftFactor);
        }
        map.put("decoderOutput", Map.of("kind", decoderOutput.json));
        map.put("likelihood", switch (likelihood) {
            case null -> null;
            case Likelihood.Bernoulli b -> Map.of("kind", "bernoulli");
            case Likelihood.Gaussian g -> Map.of("kind", "gaussian", "sigma", g.sigma());
        });
        if (exporter != null) {
            map.put("exporter", exporter);
        }
        return map;
    }

    /** Numbers per image of the latent the encoder answers (the mean's, for a VAE). */
    int latentSize() {
        return latentShape.stream().reduce(1, Math::multiplyExact);
    }

    /** A descriptor value as written in JSON: strings quoted. */
    static String describe(@Nullable Object value) {
        return value instanceof String text ? "\"" + text + "\"" : String.valueOf(value);
    }

    /** Reads fields, naming them and {@code source} in every message. */
    private record Reader(String source) {

        InvalidImportException invalid(String field, String problem) {
            return new InvalidImportException(source + ": field '" + field + "' " + problem);
        }

        void onlyKnown(Map<String, ?> json, List<String> known, String prefix) {
            for (String key : json.keySet()) {
                if (!known.contains(key)) {
                    throw new InvalidImportException(source + ": unknown field '" + prefix + key + "'; the fields are "
                            + String.join(", ", known.stream().map(k -> prefix + k).toList()));
                }
            }
        }

        Object required(Map<String, ?> json, String field) {
            return required(json, field, field);
        }

        Object required(Map<String, ?> json, String path, String key) {
            Object value = json.get(key);
            if (value == null) {
                throw new InvalidImportException(source + ": field '" + path + "' is missing");
            }
            return value;
        }

        @SuppressWarnings("unchecked")
        Map<String, ?> object(Map<String, ?> json, String field) {
            Object value = required(json, field);
            if (!(value instanceof Map<?, ?> map)) {
                throw invalid(field, "must be a JSON object, not " + describe(value));
            }
            return (Map<String, ?>) map;
        }

        <E> E choice(Map<String, ?> json, String field, E[] values, java.util.function.Function<E, String> name) {
            return choice(json, field, field, values, name);
        }

        <E> E choice(Map<String, ?> json, String path, String key, E[] values, java.util.function.Function<E, String> name) {
            Object value = required(json, path, key);
            for (E candidate : values) {
                if (name.apply(candidate).equals(value)) {
                    return candidate;
                }
            }
            throw invalid(path, "must be one of " + String.join(", ", Arrays.stream(values).map(v -> "\"" + name.apply(v) + "\"")
                    .toList()) + ", not " + describe(value));
        }

        double number(Map<String, ?> json, String field, double fallback) {
            return number(json, field, field, fallback);
        }

        double number(Map<String, ?> json, String path, String key, double fallback) {
            Object value = json.get(key);
            if (value == null && !Double.isNaN(fallback)) {
                return fallback;
            }
            if (!(value instanceof Number n) || !Double.isFinite(n.doubleValue())) {
                throw invalid(path, "must be a finite number, not " + describe(value));
            }
            return n.doubleValue();
        }

        /** A list of {@code count} finite numbers, positive when asked. */
        double[] numbers(Map<String, ?> json, String path, int count, boolean positive) {
            Object value = required(json, path, path.substring(path.lastIndexOf('.') + 1));
            String wanted = "a list of " + count + " " + (positive ? "positive " : "") + "numbers, one per channel";
            if (!(value instanceof List<?> list) || list.size() != count) {
                throw invalid(path, "must be " + wanted + ", not " + describe(value));
            }
            double[] numbers = new double[count];
            for (int i = 0; i < count; i++) {
                if (!(list.get(i) instanceof Number n) || !Double.isFinite(n.doubleValue()) || (positive && !(n.doubleValue() > 0))) {
                    throw invalid(path, "must be " + wanted + ", not " + describe(value));
                }
                numbers[i] = n.doubleValue();
            }
            return numbers;
        }

        /** A list of positive integers, of {@code length} items unless that is negative. */
        List<Integer> positiveIntegers(Map<String, ?> json, String field, int length, String form) {
            Object value = required(json, field);
            if (!(value instanceof List<?> list) || list.isEmpty() || (length >= 0 && list.size() != length)) {
                throw invalid(field, "must be " + form + ", not " + describe(value));
            }
            List<Integer> integers = new ArrayList<>(list.size());
            for (Object item : list) {
                if (!(item instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue()) || n.doubleValue() < 1
                        || n.doubleValue() > Integer.MAX_VALUE) {
                    throw invalid(field, "must be " + form + " of positive integers, not " + describe(value));
                }
                integers.add(n.intValue());
            }
            return integers;
        }
    }

}
