package dev.latentserve.serving;

import dev.latentserve.serving.InferenceApi.ImageJson;
import io.swagger.v3.oas.annotations.media.ArraySchema;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** Request and response bodies of {@code /complete}. */
final class CompletionApi {

    private CompletionApi() {
    }

    static final String KEPT_DOC = "Code positions kept from the image's own codes (1) and drawn from the prior (0): a code is "
            + "kept when its whole pixel footprint is known (code (i, j) of a grid with downsampling factor f covers pixels "
            + "[i*f, (i+1)*f) x [j*f, (j+1)*f) of the image, padded first for a VQ-VAE-2, whose padding counts as known). "
            + "VQ-VAE: one grid; VQ-VAE-2: {\"top\": grid, \"bottom\": grid}";

    @Schema(description = "One image (base64 PNG/JPEG in images, or raw CHW pixels in pixels) and its known region: "
            + "knownRows or mask, exactly one",
            example = "{\"images\": [\"" + InferenceApi.BOOT_PNG + "\"], \"knownRows\": 14, \"count\": 4, \"seed\": 1, \"temperature\": 1.0, "
                    + "\"topK\": 20}")
    record CompleteRequest(
            @ArraySchema(maxItems = 1, schema = @Schema(description = "base64-encoded PNG or JPEG: one image", format = "byte"))
            @Nullable List<String> images,
            @ArraySchema(maxItems = 1, schema = @Schema(description = "C*H*W floats in [0, 1], channel-major: one image"))
            @Nullable List<float[]> pixels,
            @Schema(description = "The top n pixel rows are known (0 to H); the completion is then exact", example = "14")
            @Nullable Integer knownRows,
            @Schema(description = "H rows of W values, 1 where the pixel is known and 0 where it is to be completed")
            double @Nullable [][] mask,
            @Schema(description = "How many completions (1 to 64)", example = "4", defaultValue = "4") @Nullable Integer count,
            @Schema(description = "Seed; the same seed gives the same completions. Random when omitted (the response says "
                    + "which)", example = "1") @Nullable Long seed,
            @Schema(description = "Softmax temperature of the prior", example = "1.0", defaultValue = "1.0")
            @Nullable Double temperature,
            @Schema(description = "Draw only among the k most likely codes at each position") @Nullable Integer topK,
            @Schema(description = "VQ-VAE-2: a temperature per level, overriding temperature", example = "{\"top\": 0.8}")
            @Nullable Map<String, Double> temperatures) {
    }

    /**
     * The text fields of {@code /complete}'s multipart form, read by {@link dev.latentserve.api.FormFields} with the JSON
     * body's rules; the image and mask come as file parts.
     */
    record CompleteForm(@Nullable Integer knownRows, @Nullable Integer count, @Nullable Long seed, @Nullable Double temperature,
            @Nullable Integer topK, @Nullable Map<String, Double> temperatures) {

        static final java.util.Set<String> FILES = java.util.Set.of("image", "mask");
    }

    record CompleteResponse(String model, int version, long seed,
            @Schema(description = KEPT_DOC) Object kept,
            @ArraySchema(schema = @Schema(description = "The completions, one PNG each")) List<ImageJson> images,
            @Schema(description = "The completions' codes in the form /sample answers and /decode takes: VQ-VAE a list of "
                    + "grids, VQ-VAE-2 {\"top\": [grid, ...], \"bottom\": [grid, ...]}") Object codes) {
    }
}
