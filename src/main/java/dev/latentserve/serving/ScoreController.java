package dev.latentserve.serving;

import dev.latentserve.config.ApiRole;
import dev.latentserve.family.HeldOutScoring;
import dev.latentserve.family.Scoring;
import dev.latentserve.nn.ImportanceWeightedBound;
import dev.latentserve.serving.ScoreApi.BoundsJson;
import dev.latentserve.serving.ScoreApi.CodeScoreJson;
import dev.latentserve.serving.ScoreApi.ScoreRequest;
import dev.latentserve.serving.ScoreApi.ScoreResponse;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.ExampleObject;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.io.IOException;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RequestPart;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.context.request.async.DeferredResult;
import org.springframework.web.multipart.MultipartFile;

/** {@code /v1/models/{model}/score}: how likely images are under a model version. */
@RestController
@ApiRole
@RequestMapping("/v1/models/{model}")
@Tag(name = "Inference", description = "Sample, encode, decode and reconstruct with a model version")
@ApiResponse(responseCode = "400", description = "Malformed request, or samples, k or images out of range",
        content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
@ApiResponse(responseCode = "404", description = "No such model or version",
        content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
@ApiResponse(responseCode = "409", description = "A VQ-VAE or VQ-VAE-2 without the prior that scores its codes",
        content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
@ApiResponse(responseCode = "422", description = "Images that do not fit the model, or a model that declares no likelihood",
        content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
class ScoreController {

    private static final String DOC = "Upper bounds on -log p(x) per image, in nats and bits per dimension. A VAE answers "
            + "the negative ELBO averaged over `samples` posterior draws and the importance weighted bound (IWAE) over `k` "
            + "draws; lower is more likely. A VQ-VAE or VQ-VAE-2 with a prior answers -log p(codes) per level and the "
            + "reconstruction error. An imported VAE scores only when its descriptor declares a likelihood. Where the version "
            + "recorded its test set's scores (a VAE's training, a prior fit, an import given a testDataset), `percentile` "
            + "says what percentage of that test set scored better than the image.";
    private static final String EXAMPLE = """
            {"model": "fashion-vae", "version": 1, "seed": 1, "samples": 10, "k": 100, "scores": [{"negativeElbo": 231.4,
             "negativeElboStandardError": 1.9, "negativeElboBitsPerDim": 0.4258, "iwae": 225.1, "iwaeBitsPerDim": 0.4142}]}""";
    private static final String CODE_EXAMPLE = """
            {"model": "fashion-vq2", "version": 2, "seed": 1, "scores": [{"negativeLogPrior": {"top": 21.7, "bottom": 88.3},
             "negativeLogPriorTotal": 110.0, "mse": 0.0112, "percentile": 62.4,
             "levelPercentiles": {"top": 55.0, "bottom": 64.1}}]}""";

    private final ScoreService scores;
    private final AsyncResponses responses;

    ScoreController(ScoreService scores, AsyncResponses responses) {
        this.scores = scores;
        this.responses = responses;
    }

    @Operation(summary = "Score images (JSON: base64 PNG/JPEG or raw pixels) by their likelihood under the model",
            description = DOC)
    @ApiResponse(responseCode = "200", description = "Scores per image", content = @Content(mediaType = "application/json",
            schema = @Schema(implementation = ScoreResponse.class), examples = {@ExampleObject(name = "fashion-vae", value = EXAMPLE),
            @ExampleObject(name = "fashion-vq2", value = CODE_EXAMPLE)}))
    @PostMapping(path = "/score", consumes = MediaType.APPLICATION_JSON_VALUE, produces = MediaType.APPLICATION_JSON_VALUE)
    DeferredResult<ResponseEntity<?>> score(@PathVariable String model, @RequestBody ScoreRequest body) throws IOException {
        return responses.answer(scores.score(model, InferenceController.inputs(body.asImagesRequest()), body.samples(), body.k(),
                body.seed()), ScoreController::scored);
    }

    @Operation(summary = "Score uploaded images (multipart parts named 'image') by their likelihood under the model",
            description = DOC)
    @ApiResponse(responseCode = "200", description = "Scores per image", content = @Content(mediaType = "application/json",
            schema = @Schema(implementation = ScoreResponse.class), examples = {@ExampleObject(name = "fashion-vae", value = EXAMPLE),
            @ExampleObject(name = "fashion-vq2", value = CODE_EXAMPLE)}))
    @PostMapping(path = "/score", consumes = MediaType.MULTIPART_FORM_DATA_VALUE, produces = MediaType.APPLICATION_JSON_VALUE)
    DeferredResult<ResponseEntity<?>> scoreMultipart(@PathVariable String model, @RequestPart("image") List<MultipartFile> image,
            @RequestParam(name = "samples", required = false) @Nullable Integer samples,
            @RequestParam(name = "k", required = false) @Nullable Integer k,
            @RequestParam(name = "seed", required = false) @Nullable Long seed) throws IOException {
        return responses.answer(scores.score(model, InferenceController.inputs(image), samples, k, seed), ScoreController::scored);
    }

    private static ResponseEntity<?> scored(ScoreService.Scored result) {
        long dimensions = result.shape().size();
        boolean bounds = result.scores().stream().anyMatch(score -> score instanceof Scoring.Bounds);
        List<?> items = result.scores().stream().map(score -> switch (score) {
            case Scoring.Bounds b -> new BoundsJson(b.negativeElbo(), b.negativeElboStandardError(),
                    ImportanceWeightedBound.bitsPerDimension(b.negativeElbo(), dimensions), b.iwae(),
                    ImportanceWeightedBound.bitsPerDimension(b.iwae(), dimensions),
                    result.testQuantiles() == null ? null : HeldOutScoring.percentile(result.testQuantiles(), b.negativeElbo()));
            case Scoring.CodeLikelihood c -> CodeScoreJson.of(c, result.codeQuantiles());
        }).toList();
        return ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).body(new ScoreResponse(result.model(), result.version(),
                result.seed(), bounds ? result.samples() : null, bounds ? result.importanceSamples() : null, items));
    }
}
