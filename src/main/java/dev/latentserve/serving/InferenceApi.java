package dev.latentserve.serving;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.media.ArraySchema;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;
import org.jspecify.annotations.Nullable;

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
            @Schema(description = "Also return raw CHW pixels in [0, 1] per image") @Nullable Boolean includePixels) {
    }

    @Schema(description = "Images to encode or reconstruct: base64 PNG/JPEG, or raw CHW pixels in [0, 1]",
            example = "{\"pixels\": [[0.0, 0.5, 1.0]], \"sample\": false}")
    record ImagesRequest(
            @ArraySchema(schema = @Schema(description = "base64-encoded PNG or JPEG", format = "byte")) @Nullable List<String> images,
            @ArraySchema(schema = @Schema(description = "C*H*W floats in [0, 1], channel-major")) @Nullable List<float[]> pixels,
            @Schema(description = "encode: return z drawn from q(z|x) instead of its mean") @Nullable Boolean sample,
            @Schema(description = "Seed for z (encode with sample=true) and the ELBO estimate (reconstruct)") @Nullable Long seed,
            @Schema(description = "reconstruct: also return raw pixels") @Nullable Boolean includePixels) {
    }

    @Schema(description = "Latent vectors to decode", example = "{\"latents\": [[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]]}")
    record DecodeRequest(
            @ArraySchema(schema = @Schema(description = "one latent vector of the model's latentDim")) @Nullable List<float[]> latents,
            @Schema(description = "Also return raw CHW pixels in [0, 1] per image") @Nullable Boolean includePixels) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record ImageJson(@Schema(description = "base64 PNG", format = "byte") String png, float @Nullable [] pixels) {
    }

    record SampleResponse(String model, int version, long seed, List<ImageJson> images, float[][] latents) {
    }

    record EncodeResponse(String model, int version, List<LatentJson> latents) {
    }

    record LatentJson(float[] mean, float[] logVariance, float[] z) {
    }

    record DecodeResponse(String model, int version, List<ImageJson> images) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record ReconstructionJson(String png, double mse,
            @Schema(description = "one-sample estimate of -ELBO in nats") double negativeElbo, float @Nullable [] pixels) {
    }

    record ReconstructResponse(String model, int version, List<ReconstructionJson> reconstructions) {
    }
}
