package dev.latentserve.serving;

import dev.latentserve.api.BadRequestException;
import dev.latentserve.api.FormFields;
import dev.latentserve.api.ResponseFormats;
import dev.latentserve.config.ApiRole;
import dev.latentserve.image.ImageCodec;
import dev.latentserve.serving.CompletionApi.CompleteForm;
import dev.latentserve.serving.CompletionApi.CompleteRequest;
import dev.latentserve.serving.CompletionApi.CompleteResponse;
import dev.latentserve.serving.CompletionService.Completion;
import dev.latentserve.serving.InferenceApi.ImageJson;
import dev.latentserve.serving.InferenceApi.ImagesRequest;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.media.SchemaProperty;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
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
import org.springframework.web.bind.annotation.RequestPart;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.context.request.async.DeferredResult;
import org.springframework.web.multipart.MultipartFile;
import org.springframework.web.multipart.MultipartHttpServletRequest;
import tools.jackson.databind.json.JsonMapper;

/** {@code /v1/models/{model}/complete}: inpainting with a version's autoregressive prior. */
@RestController
@ApiRole
@RequestMapping("/v1/models/{model}")
@Tag(name = "Inference", description = "Sample, encode, decode and reconstruct with a model version")
@ApiResponse(responseCode = "400", description = "Malformed request or value out of range: count outside 1..64, knownRows "
        + "outside 0..H, both or neither of knownRows and mask, a mask value other than 0 or 1",
        content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
@ApiResponse(responseCode = "404", description = "No such model or version",
        content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
@ApiResponse(responseCode = "409", description = "The version's codes have no prior yet (no-prior: the answer names the "
        + "fit-prior job)", content = @Content(mediaType = "application/problem+json",
                schema = @Schema(implementation = ProblemDetail.class)))
@ApiResponse(responseCode = "422", description = "The image or mask does not fit the model (invalid-mask), or the model has no "
        + "autoregressive prior over codes, such as a VAE (not-completable)",
        content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
@ApiResponse(responseCode = "200", description = "The completions", content = {
        @Content(mediaType = "application/json", schema = @Schema(implementation = CompleteResponse.class)),
        @Content(mediaType = "image/png", schema = @Schema(type = "string", format = "binary"))})
class CompletionController {

    private static final String DOC = "Completes (inpaints) one image with the version's autoregressive prior (VQ-VAE, "
            + "VQ-VAE-2). The image is encoded to codes; a code is kept when its whole pixel footprint lies in the known "
            + "region (with downsampling factor f, code (i, j) covers pixels [i*f, (i+1)*f) x [j*f, (j+1)*f)); the other codes "
            + "are drawn from the prior in raster order, each from softmax(logits / temperature) restricted to the topK most "
            + "likely, given the codes before it, kept or drawn; then the codes are decoded. A VQ-VAE-2 completes its top "
            + "level first, then its bottom level given the completed top. With knownRows every kept code precedes every drawn "
            + "one, and the completion draws from the prior's exact conditional; with another mask it is an approximation: "
            + "the prior is causal, so a code drawn above or left of a kept code does not see it. The decoder's receptive "
            + "field is wider than a code's footprint, so pixels near the border of the known region blend, and known pixels "
            + "come back as the model reconstructs them. Send Accept: image/png for one PNG strip (the image, then the "
            + "completions), application/json (default) for the completions' codes and PNGs. A bare name completes with its "
            + "newest version that samples.";
    private static final int DEFAULT_COUNT = 4;

    private final CompletionService completion;
    private final AsyncResponses responses;
    private final JsonMapper json;

    CompletionController(CompletionService completion, AsyncResponses responses, JsonMapper json) {
        this.completion = completion;
        this.responses = responses;
        this.json = json;
    }

    @Operation(summary = "Complete an image (JSON: one base64 PNG/JPEG or raw pixels) from a known region", description = DOC)
    @PostMapping(path = "/complete", consumes = MediaType.APPLICATION_JSON_VALUE,
            produces = {MediaType.APPLICATION_JSON_VALUE, MediaType.IMAGE_PNG_VALUE})
    DeferredResult<ResponseEntity<?>> complete(
            @Parameter(description = "name or name@version", example = "fashion-vq") @PathVariable String model,
            @RequestBody CompleteRequest body,
            @RequestHeader(name = HttpHeaders.ACCEPT, required = false) @Nullable String accept) throws IOException {
        MediaType format = ResponseFormats.choose(accept, ResponseFormats.JSON_OR_PNG);
        List<ImageInput> images = InferenceController.inputs(new ImagesRequest(body.images(), body.pixels(), null, null, null, null));
        return responses.answer(completion.complete(model, one(images), body.knownRows(),
                body.mask() == null ? null : new CompletionService.Mask.Values(body.mask()),
                body.count() == null ? DEFAULT_COUNT : body.count(), body.seed(),
                body.temperature() == null ? 1.0 : body.temperature(), body.topK(),
                body.temperatures() == null ? Map.of() : body.temperatures()), result -> answer(result, format));
    }

    @Operation(summary = "Complete an uploaded image (multipart part 'image'; the mask as knownRows or a PNG part 'mask')",
            description = DOC + " The mask part is an image of the same size whose non-zero pixels are known. The text "
                    + "fields are those of the JSON body (knownRows, count, seed, temperature, topK) and temperatures.top, "
                    + "temperatures.bottom for a VQ-VAE-2's levels, each value read as in JSON: 1.0 is no whole number. A "
                    + "field sent twice or not one of these is refused (400); an empty value means the default.",
            requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(content = @Content(
                    mediaType = "multipart/form-data", schema = @Schema(implementation = CompleteForm.class),
                    schemaProperties = {@SchemaProperty(name = "image", schema = @Schema(type = "string", format = "binary")),
                            @SchemaProperty(name = "mask", schema = @Schema(type = "string", format = "binary"))})))
    @PostMapping(path = "/complete", consumes = MediaType.MULTIPART_FORM_DATA_VALUE,
            produces = {MediaType.APPLICATION_JSON_VALUE, MediaType.IMAGE_PNG_VALUE})
    DeferredResult<ResponseEntity<?>> completeMultipart(@PathVariable String model, @RequestPart("image") List<MultipartFile> image,
            @RequestPart(name = "mask", required = false) @Nullable List<MultipartFile> mask, MultipartHttpServletRequest request,
            @RequestHeader(name = HttpHeaders.ACCEPT, required = false) @Nullable String accept) throws IOException {
        CompleteForm form = FormFields.read(request, json, CompleteForm.class, CompleteForm.FILES);
        if (mask != null && mask.size() > 1) {
            throw new BadRequestException("bad-request", "Invalid form field", "form field 'mask' is given " + mask.size()
                    + " times; send each field once");
        }
        MediaType format = ResponseFormats.choose(accept, ResponseFormats.JSON_OR_PNG);
        return responses.answer(completion.complete(model, one(InferenceController.inputs(image)), form.knownRows(),
                mask == null ? null : new CompletionService.Mask.Image(mask.getFirst().getBytes()),
                form.count() == null ? DEFAULT_COUNT : form.count(), form.seed(),
                form.temperature() == null ? 1.0 : form.temperature(), form.topK(),
                form.temperatures() == null ? Map.of() : form.temperatures()), result -> answer(result, format));
    }

    private static ImageInput one(List<ImageInput> images) {
        if (images.size() != 1) {
            throw new BadRequestException("bad-request", "Send one image", "completion takes one image per request, not "
                    + images.size() + "; ask for several completions of it with count");
        }
        return images.getFirst();
    }

    private static ResponseEntity<?> answer(Completion result, MediaType format) {
        float[][] completions = result.completed().images();
        if (MediaType.IMAGE_PNG.equals(format)) {
            List<float[]> strip = new ArrayList<>(completions.length + 1);
            strip.add(result.original());
            strip.addAll(Arrays.asList(completions));
            return ResponseEntity.ok().contentType(MediaType.IMAGE_PNG)
                    .body(ImageCodec.grid(result.shape(), strip, strip.size()));
        }
        List<ImageJson> images = Arrays.stream(completions)
                .map(pixels -> new ImageJson(Base64.getEncoder().encodeToString(ImageCodec.png(result.shape(), pixels)), null))
                .toList();
        return ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).body(new CompleteResponse(result.model(),
                result.version(), result.seed(), result.completed().kept().json(0), images, result.completed().codes().json()));
    }
}
