package dev.latentserve.serving;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.media.ArraySchema;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JsonParser;
import tools.jackson.databind.DeserializationContext;
import tools.jackson.databind.ValueDeserializer;
import tools.jackson.databind.annotation.JsonDeserialize;

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
            @Nullable Map<String, Double> temperatures) {
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

    @Schema(description = "What to decode: latent vectors (VAE), code grids or unquantised vectors (VQ-VAE); send one",
            example = "{\"latents\": [[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]]}")
    record DecodeRequest(
            @ArraySchema(schema = @Schema(description = "VAE: one latent vector of the model's latentDim per image, or the "
                    + "posterior /encode answered ({mean, logVariance, z}), whose z is decoded", oneOf = {float[].class,
                    LatentJson.class})) @Nullable List<@Nullable LatentInput> latents,
            @Schema(description = CODES_DOC, oneOf = {int[][][].class, LevelCodesJson.class}) @Nullable Object codes,
            @ArraySchema(schema = @Schema(description = "VQ-VAE: D*h*w floats per image, channel-major, quantised first"))
            @Nullable List<float[]> vectors,
            @Schema(description = "Also return raw CHW pixels in [0, 1] per image") @Nullable Boolean includePixels) {
    }

    /**
     * One latent vector to decode, as JSON gives it: a list of numbers (what /sample answers), or a posterior as /encode
     * answers it ({@code {"mean": [...], "logVariance": [...], "z": [...]}}), of which z is decoded. So both answers go
     * back to /decode as they are.
     */
    @JsonDeserialize(using = LatentInput.Reader.class)
    record LatentInput(float @Nullable [] z) {

        /**
         * Reads either form by its first token, leaving the numbers to Jackson's own float parsing, so a bad value is
         * named by its path ({@code latents[0][1]}) as everywhere else. A posterior's mean and log-variance are not
         * needed to decode and are skipped.
         */
        static final class Reader extends ValueDeserializer<LatentInput> {

            @Override
            public LatentInput deserialize(JsonParser parser, DeserializationContext context) {
                if (!parser.isExpectedStartObjectToken()) {
                    return new LatentInput(vector(parser, context));
                }
                float[] z = null;
                for (String name = parser.nextName(); name != null; name = parser.nextName()) {
                    parser.nextToken();
                    if ("z".equals(name)) {
                        z = vector(parser, context);
                    } else {
                        parser.skipChildren();
                    }
                }
                return new LatentInput(z);
            }

            /**
             * A list of numbers. Anything else is refused here with Jackson's usual "cannot deserialize float[] from ..."
             * (handed a string, Jackson's own float[] reader misreports it as a truncated body).
             */
            private static float[] vector(JsonParser parser, DeserializationContext context) {
                if (!parser.isExpectedStartArrayToken()) {
                    return (float[]) context.handleUnexpectedToken(float[].class, parser);
                }
                return context.readValue(parser, float[].class);
            }
        }

        /** The vectors of a request, a missing one (JSON null) staying null for the model to refuse by its index. */
        static @Nullable List<float[]> vectors(@Nullable List<@Nullable LatentInput> latents) {
            return latents == null ? null : latents.stream().map(latent -> latent == null ? null : latent.z()).toList();
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
