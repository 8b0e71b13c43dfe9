package dev.latentserve.serving;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.latentserve.family.HeldOutQuantiles;
import dev.latentserve.family.HeldOutScoring;
import dev.latentserve.family.Scoring;
import io.swagger.v3.oas.annotations.media.ArraySchema;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** Request and response bodies of {@code POST /v1/models/{model}/score}. */
final class ScoreApi {

    private ScoreApi() {
    }

    @Schema(description = "Images to score: base64 PNG/JPEG, or raw CHW pixels in [0, 1]; send one of the two",
            example = "{\"images\": [\"" + InferenceApi.BOOT_PNG + "\"], \"samples\": 10, \"k\": 100, \"seed\": 1}")
    record ScoreRequest(
            @ArraySchema(schema = @Schema(description = "base64-encoded PNG or JPEG, or a data URL", format = "byte"))
            @Nullable List<String> images,
            @ArraySchema(schema = @Schema(description = "C*H*W floats in [0, 1], channel-major")) @Nullable List<float[]> pixels,
            @Schema(description = "VAE: L, the posterior draws the negative ELBO is averaged over (1 to "
                    + "latentserve.serving.score.max-samples, 100)", example = "10", defaultValue = "1") @Nullable Integer samples,
            @Schema(description = "VAE: the importance samples of the IWAE bound (1 to "
                    + "latentserve.serving.score.max-importance-samples, 5000)", example = "100", defaultValue = "100")
            @Nullable Integer k,
            @Schema(description = "Seed of every draw; the same seed gives the same scores. Random when omitted (the "
                    + "answer says which)", example = "1") @Nullable Long seed) {

        /** The images in the form /encode reads them. */
        InferenceApi.ImagesRequest asImagesRequest() {
            return new InferenceApi.ImagesRequest(images, pixels, null, null, null, null);
        }
    }

    @Schema(description = "Upper bounds on -log p(x) of one image under a VAE, in nats and in bits per dimension "
            + "(nats / (C*H*W ln 2))")
    record BoundsJson(
            @Schema(description = "Mean over L draws z ~ q(z|x) of -log p(x|z) + KL(q(z|x) || N(0, I)), the KL in closed form",
                    requiredMode = Schema.RequiredMode.REQUIRED) double negativeElbo,
            @Schema(description = "Standard error of negativeElbo: the draws' standard deviation / sqrt(L); null for L = 1")
            @Nullable Double negativeElboStandardError,
            double negativeElboBitsPerDim,
            @Schema(description = "-log (1/k) sum_i p(x, z_i) / q(z_i|x): the importance weighted bound of Burda et al. "
                    + "(2015), tighter than negativeElbo on average and tending to -log p(x) as k grows",
                    requiredMode = Schema.RequiredMode.REQUIRED) double iwae,
            double iwaeBitsPerDim,
            @Schema(description = "The percentage of the version's test set whose one-sample negative ELBO was lower than "
                    + "this image's negativeElbo (\"worse than p% of the test set\"); absent for versions trained before "
                    + "it was recorded") @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable Double percentile) {
    }

    @Schema(description = "The likelihood of one image's codes under a VQ-VAE's prior")
    record CodeScoreJson(
            @Schema(description = "-log p(codes) in nats per level (\"codes\" for a VQ-VAE, \"top\" and \"bottom\" for a "
                    + "VQ-VAE-2)", requiredMode = Schema.RequiredMode.REQUIRED) Map<String, Double> negativeLogPrior,
            @Schema(description = "-log p(codes) of all levels, in nats", requiredMode = Schema.RequiredMode.REQUIRED)
            double negativeLogPriorTotal,
            @Schema(description = "mean squared pixel error of the reconstruction from these codes") double mse,
            @Schema(description = "The percentage of the test set of the prior fit whose -log p(codes) of all levels was lower "
                    + "than this image's negativeLogPriorTotal (\"worse than p% of the test set\"); absent for versions whose "
                    + "priors were fitted before it was recorded") @JsonInclude(JsonInclude.Include.NON_NULL)
            @Nullable Double percentile,
            @Schema(description = "The same per level, by level name: where this image's negativeLogPrior of the level falls "
                    + "among the test set's") @JsonInclude(JsonInclude.Include.NON_EMPTY) Map<String, Double> levelPercentiles) {

        /** {@code score} with its percentiles read off {@code quantiles} (by level and "total"; empty for none). */
        static CodeScoreJson of(Scoring.CodeLikelihood score, Map<String, List<Double>> quantiles) {
            @Nullable List<Double> total = quantiles.get(HeldOutQuantiles.TOTAL);
            Map<String, Double> levels = new LinkedHashMap<>();
            score.levels().forEach((level, value) -> {
                @Nullable List<Double> levelQuantiles = quantiles.get(level);
                if (levelQuantiles != null) {
                    levels.put(level, HeldOutScoring.percentile(levelQuantiles, value));
                }
            });
            return new CodeScoreJson(score.levels(), score.total(), score.mse(),
                    total == null ? null : HeldOutScoring.percentile(total, score.total()), levels);
        }
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record ScoreResponse(String model, int version, long seed,
            @Schema(description = "VAE: L") @Nullable Integer samples,
            @Schema(description = "VAE: k") @Nullable Integer k,
            @ArraySchema(schema = @Schema(description = "per image, in order", oneOf = {BoundsJson.class, CodeScoreJson.class}))
            List<?> scores) {
    }
}
