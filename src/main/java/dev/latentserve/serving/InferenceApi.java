package dev.latentserve.serving;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.media.ArraySchema;
import io.swagger.v3.oas.annotations.media.Schema;
import dev.latentserve.family.InvalidInferenceInputException;
import dev.latentserve.family.Latents;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.DatabindException;
import tools.jackson.databind.DeserializationContext;
import tools.jackson.databind.ValueDeserializer;
import tools.jackson.databind.annotation.JsonDeserialize;
import tools.jackson.databind.util.TokenBuffer;

/** Request and response bodies of the four inference endpoints. */
final class InferenceApi {

    private InferenceApi() {
    }

    @Schema(description = "Draw images from the prior", example = "{\"count\": 16, \"seed\": 42, \"temperature\": 1.0}")
    record SampleRequest(
            @Schema(description = "How many images (1 to the configured maximum, 256 by default)", example = "16",
                    defaultValue = "16") @Nullable Integer count,
            @Schema(description = "Seed; the same seed gives the same images. Random when omitted (the response says which)",
                    example = "42") @Nullable Long seed,
            @Schema(description = "Scales the prior's standard deviation; lower is smoother", example = "1.0",
                    defaultValue = "1.0") @Nullable Double temperature,
            @Schema(description = "Also return raw CHW pixels in [0, 1] per image") @Nullable Boolean includePixels,
            @Schema(description = "VQ-VAE priors: sample only among the k most likely codes at each position")
            @Nullable Integer topK,
            @Schema(description = "VQ-VAE-2: a temperature per level, overriding temperature", example = "{\"top\": 0.8}")
            @Nullable Map<String, Double> temperatures,
            @Schema(description = "Accept: text/event-stream only: a preview event every this many rows of codes drawn (0 to "
                    + SampleRequest.MAX_PREVIEW_EVERY + "; 0 or absent: none). Other answers ignore it", example = "2",
                    defaultValue = "0") @Nullable Integer previewEvery) {

        static final int MAX_PREVIEW_EVERY = 1024;

        /**
         * {@code previewEvery}, 0 when absent.
         *
         * @throws InvalidInferenceInputException (400) outside 0 to {@value #MAX_PREVIEW_EVERY}
         */
        int previewRows() {
            if (previewEvery == null) {
                return 0;
            }
            if (previewEvery < 0 || previewEvery > MAX_PREVIEW_EVERY) {
                throw new InvalidInferenceInputException(InvalidInferenceInputException.Kind.OUT_OF_RANGE, "previewEvery must be "
                        + "between 0 (no previews) and " + MAX_PREVIEW_EVERY + " rows, not " + previewEvery);
            }
            return previewEvery;
        }
    }

    @Schema(description = "Images to encode or reconstruct: base64 PNG/JPEG, or raw CHW pixels in [0, 1]",
            example = "{\"pixels\": [[0.0, 0.5, 1.0]], \"sample\": false}")
    record ImagesRequest(
            @ArraySchema(schema = @Schema(description = "base64-encoded PNG or JPEG", format = "byte")) @Nullable List<String> images,
            @ArraySchema(schema = @Schema(description = "C*H*W floats in [0, 1], channel-major")) @Nullable List<float[]> pixels,
            @Schema(description = "encode: return z drawn from q(z|x) instead of its mean") @Nullable Boolean sample,
            @Schema(description = "Seed for z (encode with sample=true) and the ELBO estimate (reconstruct)") @Nullable Long seed,
            @Schema(description = "reconstruct: also return raw pixels") @Nullable Boolean includePixels,
            @Schema(description = "encode (VQ-VAE): also return the encoder outputs before quantisation; VQ-VAE-2 ignores it")
            @Nullable Boolean includeVectors) {
    }

    /**
     * Test image 0 of Fashion-MNIST (an ankle boot, 28 x 28 grey) as a base64 PNG: the examples' image, so that Swagger
     * UI's "Try it out" runs them against the shipped fashion-vae as they are.
     */
    static final String BOOT_PNG = "iVBORw0KGgoAAAANSUhEUgAAABwAAAAcCAAAAABXZoBIAAABVUlEQVR42mNgGNaAmZGBgZ1BFV2YkYlBOoQbwi7HkGRgiOjPA7HEYrPQJVkYTBsrJq+fu6x91ooeNDkmBu7OpoYFG+Yv3zR1+gQk85gYGZgZGIqLsjpXzJyzdHn/3HnccKtAjmRgiOyOips5tXn6yjX981cawA1kASlI6sjLzVvUPmHq/OUT5q0EO5eJCegDIJDKKU3OL+2Y0zZr1pwFvZPnbAIbBgKipjGl+enFjW39s5aumjV9Vn/XtKXaQHFxM0ef0LKG6vzCsvra7taOBT2zF06YvWbhXjsGBpe4qPyi/KLi+vaO/rp6oJ4ptYsWTeiaueiIFYPbysaMpJS4xKS0nKzyisapc5bv23fk2LHdR/fuUGEQqFu9Z8+O1TPbK+rqJ+08fPHC/4sbv/75/fv7nXOGIMfwOGct2Xn80uVLF/ZNC+IACmy6sGf9onnTuYdWYgIA6AOCsXYoh80AAAAASUVORK5CYII=";

    @Schema(description = "What to decode: latent vectors (VAE), code grids or unquantised vectors (VQ-VAE); send one",
            example = "{\"latents\": [[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]]}")
    // The other fields of what /encode, /sample and a sample job's result answer, so that those go back as they are.
    @JsonIgnoreProperties({"model", "version", "seed", "images", "count", "samplesPerSecond"})
    record DecodeRequest(
            @ArraySchema(schema = @Schema(description = "VAE: one latent vector of the model's latentDim per image, or the "
                    + "posterior /encode answered ({mean, logVariance, z}), whose z is decoded. A spatial latent (C x h x w) "
                    + "comes nested as C lists of h rows of w numbers, or flat as C*h*w numbers channel-major"))
            @Nullable List<@Nullable LatentInput> latents,
            @Schema(description = CODES_DOC, oneOf = {int[][][].class, LevelCodesJson.class}) @Nullable Object codes,
            @ArraySchema(schema = @Schema(description = "VQ-VAE: D*h*w floats per image, channel-major, quantised first"))
            @Nullable List<float[]> vectors,
            @Schema(description = "Also return raw CHW pixels in [0, 1] per image") @Nullable Boolean includePixels) {
    }

    /**
     * One latent to decode, as JSON gives it: a list of numbers (what /sample answers for a vector latent), C lists of h
     * rows of w numbers (a spatial latent), or a posterior as /encode answers it ({@code {"mean": ..., "logVariance": ...,
     * "z": ...}}), of which z is decoded. So every answer goes back to /decode as it is.
     */
    @JsonDeserialize(using = LatentInput.Reader.class)
    @Schema(description = "A latent vector, a spatial latent (C lists of h rows of w numbers), or /encode's posterior",
            oneOf = {float[].class, float[][][].class, LatentJson.class})
    record LatentInput(@Schema(hidden = true) Latents.@Nullable Sent z) {

        /** Nested lists deeper than a spatial latent's C x h x w are no latent. */
        private static final int MAX_NESTING = 3;

        /**
         * Reads either form by its first token, leaving the numbers to Jackson's own float parsing, so a bad value is
         * named by its path ({@code latents[0][1]}) as everywhere else. A posterior's mean and log-variance are not
         * needed to decode and are skipped.
         */
        static final class Reader extends ValueDeserializer<LatentInput> {

            @Override
            public LatentInput deserialize(JsonParser parser, DeserializationContext context) {
                if (!parser.isExpectedStartObjectToken()) {
                    return new LatentInput(latent(parser, context, 1));
                }
                Latents.Sent z = null;
                for (String name = parser.nextName(); name != null; name = parser.nextName()) {
                    parser.nextToken();
                    if ("z".equals(name)) {
                        z = latent(parser, context, 1);
                    } else {
                        parser.skipChildren();
                    }
                }
                return new LatentInput(z);
            }

            /**
             * A list of numbers, or a list of equally nested such lists. Anything else is refused here with Jackson's usual
             * "cannot deserialize float[] from ..." (handed a string, Jackson's own float[] reader misreports it as a
             * truncated body).
             */
            private static Latents.Sent latent(JsonParser parser, DeserializationContext context, int depth) {
                if (!parser.isExpectedStartArrayToken()) {
                    return Latents.Sent.flat((float[]) context.handleUnexpectedToken(float[].class, parser));
                }
                // Whether the list holds numbers or lists shows only in its first element: read it from a copy.
                TokenBuffer copy = context.bufferAsCopyOfValue(parser);
                boolean nested;
                try (JsonParser peek = copy.asParserOnFirstToken(context)) {
                    nested = peek.nextToken() == JsonToken.START_ARRAY;
                }
                try (JsonParser values = copy.asParserOnFirstToken(context)) {
                    return nested ? nested(values, context, depth) : Latents.Sent.flat(context.readValue(values, float[].class));
                }
            }

            /** A list of lists, each read by {@link #latent}, all nested alike; their numbers one after the other. */
            private static Latents.Sent nested(JsonParser parser, DeserializationContext context, int depth) {
                if (depth >= MAX_NESTING) {
                    return context.reportInputMismatch(float[].class, "a latent nests at most " + MAX_NESTING
                            + " deep (C lists of h rows of w numbers)");
                }
                List<Latents.Sent> parts = new ArrayList<>();
                for (JsonToken token = parser.nextToken(); token != JsonToken.END_ARRAY; token = parser.nextToken()) {
                    try {
                        parts.add(latent(parser, context, depth + 1));
                    } catch (JacksonException e) {
                        throw DatabindException.wrapWithPath(context, e, new JacksonException.Reference(parts, parts.size()));
                    }
                    int[] first = parts.getFirst().nesting();
                    if (!Arrays.equals(parts.getLast().nesting(), first)) {
                        return context.reportInputMismatch(float[].class, "the lists of a latent must nest alike: element "
                                + (parts.size() - 1) + " is nested " + nesting(parts.getLast().nesting()) + ", element 0 "
                                + nesting(first));
                    }
                }
                int[] inner = parts.getFirst().nesting();
                int[] nesting = new int[inner.length + 1];
                nesting[0] = parts.size();
                System.arraycopy(inner, 0, nesting, 1, inner.length);
                float[] values = new float[parts.size() * parts.getFirst().values().length];
                for (int i = 0; i < parts.size(); i++) {
                    float[] part = parts.get(i).values();
                    System.arraycopy(part, 0, values, i * part.length, part.length);
                }
                return new Latents.Sent(values, nesting);
            }

            private static String nesting(int[] lengths) {
                return Arrays.stream(lengths).mapToObj(Integer::toString).collect(Collectors.joining("x"));
            }
        }

        /** The latents of a request, a missing one (JSON null) staying null for the model to refuse by its index. */
        static @Nullable List<Latents.@Nullable Sent> sent(@Nullable List<@Nullable LatentInput> latents) {
            if (latents == null) {
                return null;
            }
            List<Latents.@Nullable Sent> sent = new java.util.ArrayList<>();
            for (int i = 0; i < latents.size(); i++) {
                LatentInput latent = latents.get(i);
                if (latent != null && latent.z() == null) {
                    throw new InvalidInferenceInputException(InvalidInferenceInputException.Kind.INVALID_LATENT, "latent " + i
                            + " is an object without its z: /decode decodes a posterior's z, so send what /encode answered "
                            + "({\"mean\", \"logVariance\", \"z\"}) or the numbers alone");
                }
                sent.add(latent == null ? null : latent.z());
            }
            return sent;
        }
    }

    static final String CODES_DOC = "VQ-VAE: a list with one grid (rows of code indices in [0, K)) per image. VQ-VAE-2: "
            + "{\"top\": [grid per image], \"bottom\": [grid per image]}; images are padded to sides divisible by 8 before "
            + "encoding (28x28 to 32x32: a 4x4 top and an 8x8 bottom grid) and cropped back after decoding";

    @Schema(description = "VQ-VAE-2 codes of several images, one grid per image and level")
    record LevelCodesJson(@Schema(description = "top grids") int[][][] top, @Schema(description = "bottom grids") int[][][] bottom) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record ImageJson(@Schema(description = "base64 PNG", format = "byte") String png, float @Nullable [] pixels) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record SampleResponse(String model, int version, long seed, List<ImageJson> images,
            @ArraySchema(schema = @Schema(description = "VAE: the z each image was decoded from, one vector per image",
                    implementation = float[].class)) @Nullable List<?> latents,
            @Schema(description = "VQ-VAE: the code grid each image was decoded from; VQ-VAE-2: {top, bottom} grids",
                    oneOf = {int[][][].class, LevelCodesJson.class}) @Nullable Object codes) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record EncodeResponse(String model, int version,
            @ArraySchema(schema = @Schema(description = "VAE: posterior per image", implementation = LatentJson.class))
            @Nullable List<?> latents,
            @Schema(description = CODES_DOC, oneOf = {int[][][].class, LevelCodesJson.class}) @Nullable Object codes,
            @Schema(description = "VQ-VAE, when asked: encoder outputs before quantisation, D*h*w per image",
                    implementation = float[][].class) @Nullable Object vectors) {
    }

    @Schema(description = "q(z|x) = N(mean, diag(exp(logVariance))) of one image, and the z taken from it")
    record LatentJson(float[] mean, float[] logVariance, float[] z) {
    }

    record DecodeResponse(String model, int version, List<ImageJson> images) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record ReconstructionJson(String png, double mse,
            @Schema(description = "VAE: one-sample estimate of -ELBO in nats") @Nullable Double negativeElbo,
            @Schema(description = "VQ-VAE: the image's code grid; VQ-VAE-2: its {top, bottom} grids") @Nullable Object codes,
            float @Nullable [] pixels) {
    }

    record ReconstructResponse(String model, int version, List<ReconstructionJson> reconstructions) {
    }
}
