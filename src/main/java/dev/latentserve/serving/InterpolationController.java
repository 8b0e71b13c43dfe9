package dev.latentserve.serving;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.latentserve.api.BadRequestException;
import dev.latentserve.api.ResponseFormats;
import dev.latentserve.config.ApiRole;
import dev.latentserve.family.Interpolating;
import dev.latentserve.family.Interpolation;
import dev.latentserve.family.Latents;
import dev.latentserve.image.ImageCodec;
import dev.latentserve.serving.InferenceApi.ImageJson;
import dev.latentserve.serving.InferenceApi.ImagesRequest;
import dev.latentserve.serving.InferenceApi.LatentInput;
import dev.latentserve.serving.InferenceApi.LevelCodesJson;
import dev.latentserve.serving.InterpolationService.Interpolated;
import dev.latentserve.serving.InterpolationService.SentEnds;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.ArraySchema;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.ExampleObject;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.media.SchemaProperty;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RequestPart;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.context.request.async.DeferredResult;
import org.springframework.web.multipart.MultipartFile;

/** {@code /v1/models/{model}/interpolate}: a path of images between two images, latents or seeds. */
@RestController
@ApiRole
@RequestMapping("/v1/models/{model}")
@Tag(name = "Inference")
@ApiResponse(responseCode = "400", description = "Steps outside 2..64, an unknown method, not exactly two ends, or ends of "
        + "two kinds", content = @Content(mediaType = "application/problem+json",
                schema = @Schema(implementation = ProblemDetail.class)))
@ApiResponse(responseCode = "404", description = "No such model or version",
        content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
@ApiResponse(responseCode = "422", description = "Ends that do not fit the model (image size, latent length, codes outside "
        + "[0, K)), or seeds for a model that samples through a prior",
        content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
class InterpolationController {

    private static final int DEFAULT_STEPS = 8;
    /** The method the path was walked by, on a PNG answer, which has no JSON to say it (lerp where slerp fell back). */
    static final String WALKED = "Interpolation-Method";
    private static final String DOC = "Walks from the first end to the second in `steps` images, both ends included. VAE: "
            + "between two latents (of images: their posterior means; of seeds: the z /sample draws for one image with each "
            + "seed), each step decoded. VQ-VAE: between the encoder outputs before quantisation (of images, or the codebook "
            + "vectors of two code grids), each step quantised to codes and decoded; VQ-VAE-2 likewise on both levels. Seeds "
            + "are refused (422) for models that sample through a prior. method: lerp (default) or slerp (White 2016, each "
            + "latent as one vector). Where slerp is undefined (an end is the zero vector, or the two are (anti)parallel) "
            + "the path is walked as lerp, and the answer says so: method is then lerp and lerpReason says why (a PNG answer "
            + "names the method walked in its Interpolation-Method header). Send Accept: image/png for one PNG strip of the "
            + "steps, application/json (default) for each step's PNG and its latent or codes, in /sample's form.";

    private final InterpolationService interpolation;
    private final AsyncResponses responses;

    InterpolationController(InterpolationService interpolation, AsyncResponses responses) {
        this.interpolation = interpolation;
        this.responses = responses;
    }

    @Schema(description = "Two ends (exactly one kind: images, pixels, latents, codes, vectors or seeds), the number of steps "
            + "and the method", example = "{\"seeds\": [1, 2], \"steps\": 8, \"method\": \"slerp\"}")
    record InterpolateRequest(
            @ArraySchema(schema = @Schema(description = "base64-encoded PNG or JPEG (or a data URL)", format = "byte"),
                    minItems = 2, maxItems = 2) @Nullable List<String> images,
            @ArraySchema(schema = @Schema(description = "C*H*W floats in [0, 1], channel-major"), minItems = 2, maxItems = 2)
            @Nullable List<float[]> pixels,
            @ArraySchema(schema = @Schema(description = "VAE: a latent as /decode takes it (a vector, a nested map, or "
                    + "/encode's posterior, whose z is taken)"), minItems = 2, maxItems = 2)
            @Nullable List<@Nullable LatentInput> latents,
            @Schema(description = "VQ-VAE: two code grids; VQ-VAE-2: {\"top\": [a, b], \"bottom\": [a, b]}",
                    oneOf = {int[][][].class, LevelCodesJson.class}) @Nullable Object codes,
            @ArraySchema(schema = @Schema(description = "VQ-VAE: D*h*w encoder outputs, channel-major"), minItems = 2,
                    maxItems = 2) @Nullable List<float[]> vectors,
            @ArraySchema(schema = @Schema(description = "VAE: seeds of /sample with count 1"), minItems = 2, maxItems = 2)
            @Nullable List<Long> seeds,
            @Schema(description = "Images on the path, both ends included (2 to 64)", example = "8", defaultValue = "8")
            @Nullable Integer steps,
            @Schema(description = "lerp or slerp", allowableValues = {"lerp", "slerp"}, defaultValue = "lerp")
            @Nullable String method,
            @Schema(description = "Also return raw CHW pixels in [0, 1] per step") @Nullable Boolean includePixels) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record InterpolateResponse(String model, int version,
            @Schema(description = "The method the path was walked by: lerp where slerp was asked for and the ends leave it "
                    + "undefined (see lerpReason)", allowableValues = {"lerp", "slerp"}) String method,
            @Schema(description = "Only when slerp was asked for and lerp walked: why (an end is the zero vector, or the "
                    + "ends are (anti)parallel; for a VQ-VAE-2, per level)") @Nullable String lerpReason,
            int steps, List<ImageJson> images,
            @ArraySchema(schema = @Schema(description = "VAE: each step's z, as /sample answers it", implementation = float[].class))
            @Nullable List<?> latents,
            @Schema(description = "VQ-VAE: each step's code grid; VQ-VAE-2: {top, bottom} grids, as /sample answers them",
                    oneOf = {int[][][].class, LevelCodesJson.class}) @Nullable Object codes) {
    }

    @Operation(summary = "Interpolate between two images, latents or seeds (JSON)", description = DOC)
    @ApiResponse(responseCode = "200", description = "The path", content = {
            @Content(mediaType = "application/json", schema = @Schema(implementation = InterpolateResponse.class)),
            @Content(mediaType = "image/png", schema = @Schema(type = "string", format = "binary"))})
    @PostMapping(path = "/interpolate", consumes = MediaType.APPLICATION_JSON_VALUE,
            produces = {MediaType.APPLICATION_JSON_VALUE, MediaType.IMAGE_PNG_VALUE})
    DeferredResult<ResponseEntity<?>> interpolate(
            @Parameter(description = "name or name@version", example = "fashion-vae") @PathVariable String model,
            @RequestBody InterpolateRequest body,
            @RequestHeader(name = HttpHeaders.ACCEPT, required = false) @Nullable String accept) throws IOException {
        MediaType format = ResponseFormats.choose(accept, ResponseFormats.JSON_OR_PNG);
        Interpolation.Method method = body.method() == null ? Interpolation.Method.LERP : Interpolation.Method.of(body.method());
        int steps = body.steps() == null ? DEFAULT_STEPS : body.steps();
        return responses.answer(interpolation.interpolate(model, ends(body), steps, method),
                result -> answer(result, Boolean.TRUE.equals(body.includePixels()), format));
    }

    // springdoc merges both methods into one operation whose request body is this one's: it describes both forms.
    @Operation(summary = "Interpolate between two uploaded images (two multipart parts named 'image')", description = DOC,
            requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(content = {@Content(
                    mediaType = "application/json", schema = @Schema(implementation = InterpolateRequest.class), examples = {
                            @ExampleObject(name = "seeds", value = "{\"seeds\": [1, 2], \"steps\": 8, \"method\": \"slerp\"}"),
                            @ExampleObject(name = "latents", value = "{\"latents\": [[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0], "
                                    + "[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]], \"steps\": 4}"),
                            @ExampleObject(name = "codes", value = "{\"codes\": [[[0, 1], [2, 3]], [[3, 2], [1, 0]]], \"steps\": 5}")}),
                    @Content(mediaType = "multipart/form-data", schema = @Schema(type = "object"), schemaProperties =
                            @SchemaProperty(name = "image", array = @ArraySchema(schema = @Schema(type = "string", format = "binary"),
                                    minItems = 2, maxItems = 2)))}))
    @ApiResponse(responseCode = "200", description = "The path", content = {
            @Content(mediaType = "application/json", schema = @Schema(implementation = InterpolateResponse.class)),
            @Content(mediaType = "image/png", schema = @Schema(type = "string", format = "binary"))})
    @PostMapping(path = "/interpolate", consumes = MediaType.MULTIPART_FORM_DATA_VALUE,
            produces = {MediaType.APPLICATION_JSON_VALUE, MediaType.IMAGE_PNG_VALUE})
    DeferredResult<ResponseEntity<?>> interpolateMultipart(@PathVariable String model,
            @RequestPart("image") List<MultipartFile> image,
            @RequestParam(name = "steps", defaultValue = "" + DEFAULT_STEPS) int steps,
            @RequestParam(name = "method", defaultValue = "lerp") String method,
            @RequestHeader(name = HttpHeaders.ACCEPT, required = false) @Nullable String accept) throws IOException {
        MediaType format = ResponseFormats.choose(accept, ResponseFormats.JSON_OR_PNG);
        return responses.answer(interpolation.interpolate(model, new SentEnds.Images(InferenceController.inputs(image)), steps,
                Interpolation.Method.of(method)), result -> answer(result, false, format));
    }

    /** The one kind of ends the body gives. */
    private static SentEnds ends(InterpolateRequest body) {
        boolean images = body.images() != null;
        boolean pixels = body.pixels() != null;
        long given = Arrays.asList(images || pixels, body.latents() != null, body.codes() != null, body.vectors() != null,
                body.seeds() != null).stream().filter(Boolean::booleanValue).count();
        if (given != 1 || (images && pixels)) {
            throw new BadRequestException("missing-field", "Send one kind of ends", "send exactly one of {\"images\": [a, b]}, "
                    + "{\"pixels\": [a, b]}, {\"latents\": [a, b]} (VAE), {\"codes\": [a, b]} or {\"vectors\": [a, b]} (VQ-VAE), "
                    + "{\"codes\": {\"top\": [a, b], \"bottom\": [a, b]}} (VQ-VAE-2) or {\"seeds\": [a, b]} (VAE)");
        }
        if (images || pixels) {
            return new SentEnds.Images(InferenceController.inputs(new ImagesRequest(body.images(), body.pixels(), null, null, null,
                    null)));
        }
        if (body.seeds() != null) {
            if (body.seeds().contains(null)) {
                throw new BadRequestException("missing-field", "Send two seeds", "seeds must be two whole numbers, not "
                        + body.seeds());
            }
            return new SentEnds.Seeds(body.seeds());
        }
        return new SentEnds.Decodable(LatentInput.sent(body.latents()), body.codes(), body.vectors());
    }

    private static ResponseEntity<?> answer(Interpolated result, boolean includePixels, MediaType format) {
        float[][] images = result.path().images();
        if (MediaType.IMAGE_PNG.equals(format)) {
            byte[] strip = ImageCodec.grid(result.shape(), Arrays.asList(images), images.length);
            return ResponseEntity.ok().contentType(MediaType.IMAGE_PNG).header(WALKED, result.path().walked().method().json())
                    .body(strip);
        }
        Latents latents = result.path().latents();
        Interpolating.Walked walked = result.path().walked();
        return InferenceController.json(new InterpolateResponse(result.model(), result.version(), walked.method().json(),
                walked.lerpReason(), images.length, InferenceController.images(result.shape(), images, includePixels), LatentFields.latents(latents),
                LatentFields.codes(latents)));
    }
}
