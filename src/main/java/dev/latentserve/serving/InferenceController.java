package dev.latentserve.serving;

import dev.latentserve.config.ApiRole;
import dev.latentserve.api.BadRequestException;
import dev.latentserve.api.ResponseFormats;
import dev.latentserve.family.Latents;
import dev.latentserve.family.LoadedModel;
import dev.latentserve.image.ImageCodec;
import dev.latentserve.image.ImageShape;
import dev.latentserve.npy.NpyArray;
import dev.latentserve.npy.Npz;
import dev.latentserve.serving.InferenceApi.DecodeRequest;
import dev.latentserve.serving.InferenceApi.DecodeResponse;
import dev.latentserve.serving.InferenceApi.EncodeResponse;
import dev.latentserve.serving.InferenceApi.ImageJson;
import dev.latentserve.serving.InferenceApi.ImagesRequest;
import dev.latentserve.serving.InferenceApi.ReconstructResponse;
import dev.latentserve.serving.InferenceApi.ReconstructionJson;
import dev.latentserve.serving.InferenceApi.SampleRequest;
import dev.latentserve.serving.InferenceApi.SampleResponse;
import dev.latentserve.serving.InferenceResults.Reconstructed;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
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
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/** {@code /v1/models/{model}/sample|encode|decode|reconstruct}; {model} is a name or name@version. */
@RestController
@ApiRole
@RequestMapping("/v1/models/{model}")
@Tag(name = "Inference", description = "Sample, encode, decode and reconstruct with a model version")
@ApiResponse(responseCode = "400", description = "Malformed request or value out of range",
        content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
@ApiResponse(responseCode = "404", description = "No such model or version",
        content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
@ApiResponse(responseCode = "422", description = "Input does not fit the model (image size, channels, latent length, NaN, "
        + "code outside [0, K))",
        content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
class InferenceController {

    private static final String PNG_OR_JSON_DOC = "Send Accept: image/png for one PNG grid, application/json (default) for JSON, "
            + "application/x-npy for one NumPy array (N, C, H, W) of uint8, or float32 in [0, 1] with ?dtype=float32.";
    private static final String DTYPE_DOC = "Accept: application/x-npy only: uint8 (0..255, as PNG rounds) or float32 "
            + "(in [0, 1]); other answers ignore it";
    private static final String ENCODE_DOC = "Send Accept: application/json (default) for JSON, application/x-npy for one NumPy "
            + "array (VAE: z (N, D), the posterior mean unless sample=true; VQ-VAE: int32 codes (N, h, w)), or application/x-npz "
            + "(or application/zip) for an npz archive of every array (VAE: z, mean, logvar; VQ-VAE: codes, and vectors when "
            + "asked; VQ-VAE-2: top and bottom int32 codes). An answer of several arrays is not offered as npy (406).";
    /** The most bytes the arrays of an npz sent to /decode may unpack to; codes of a full batch take well under 1 MB. */
    private static final long MAX_NPZ_BYTES = 64L << 20;
    private static final int MAX_NPZ_ARRAYS = 16;
    private static final String SAMPLE_DOC = PNG_OR_JSON_DOC
            + " A VQ-VAE or VQ-VAE-2 without fitted priors answers 409 and names the job that fits them. Models with an "
            + "autoregressive prior draw one code per prior pass (a VQ-VAE-2 on 28x28 images: 16 top and 64 bottom passes), so a "
            + "request for more than latentserve.serving.max-sync-samples (64) samples is answered 202 with a sample job; its "
            + "result is at /v1/jobs/{id}/result.\n\n"
            + "Send Accept: text/event-stream to stream the drawing as Server-Sent Events, each with a JSON object as its "
            + "data: `progress` after every code position drawn ({level, position, positions, fraction, elapsedMs}: level is "
            + "codes for a VQ-VAE, top then bottom for a VQ-VAE-2; fraction counts all levels' positions; elapsedMs counts "
            + "from the request's arrival); `preview` every previewEvery rows ({level, rows, fraction, elapsedMs, png}: png is "
            + "a base64 PNG grid of the samples decoded with every code not drawn yet set to the prior's most likely code at "
            + "the last position drawn; a VQ-VAE-2 previews its bottom level only); then exactly one of `result` (the "
            + "SampleResponse that the JSON answer carries), `job` (more than max-sync-samples samples: the sample job, whose "
            + "events are at /v1/jobs/{id}/events) or `error` (an RFC 9457 problem, such as a 503 inference-timeout), after "
            + "which the stream ends. A VAE (no prior) sends the result event only. Comment lines keep a quiet stream open. "
            + "Errors found before the stream starts (400, 404, 409, 422, 503) are answered as plain problems. A streaming "
            + "client that disconnects, or any request whose latentserve.serving.request-timeout passes, stops its sampling "
            + "at the next position.";
    private static final int DEFAULT_COUNT = 16;

    private final InferenceService inference;
    private final AsyncResponses responses;
    private final SampleEvents events;

    InferenceController(InferenceService inference, AsyncResponses responses, SampleEvents events) {
        this.inference = inference;
        this.responses = responses;
        this.events = events;
    }

    @Operation(summary = "Draw images from the model's prior", description = SAMPLE_DOC)
    @ApiResponse(responseCode = "202", description = "Too many samples to draw at once: a sample job, with Location",
            content = @Content(mediaType = "application/json", schema = @Schema(implementation = dev.latentserve.jobs.Job.class)))
    @ApiResponse(responseCode = "409", description = "The model has no prior to sample from",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    @ApiResponse(responseCode = "200", description = "The samples", content = {
            @Content(mediaType = "application/json", schema = @Schema(implementation = SampleResponse.class)),
            @Content(mediaType = "image/png", schema = @Schema(type = "string", format = "binary")),
            @Content(mediaType = ResponseFormats.NPY_VALUE, schema = @Schema(type = "string", format = "binary"))})
    @PostMapping(path = "/sample", consumes = MediaType.APPLICATION_JSON_VALUE,
            produces = {MediaType.APPLICATION_JSON_VALUE, MediaType.IMAGE_PNG_VALUE, ResponseFormats.NPY_VALUE})
    DeferredResult<ResponseEntity<?>> sample(
            @Parameter(description = "name or name@version", example = "fashion-vae") @PathVariable String model,
            @RequestBody(required = false) @Nullable SampleRequest body,
            @Parameter(description = DTYPE_DOC) @RequestParam(name = "dtype", required = false) @Nullable String dtype,
            @RequestHeader(name = HttpHeaders.ACCEPT, required = false) @Nullable String accept) throws IOException {
        SampleRequest request = orDefaults(body);
        // Only a stream previews, but a value out of range is refused alike whatever the answer's type.
        request.previewRows();
        MediaType format = ResponseFormats.choose(accept, ResponseFormats.IMAGES);
        NpyAnswers.PixelType pixelType = NpyAnswers.PixelType.of(dtype);
        return responses.answer(submit(model, request, null),
                outcome -> switch (outcome) {
                    case InferenceResults.Sampled result -> ResponseFormats.NPY.equals(format)
                            ? NpyAnswers.images(result.shape(), result.samples().images(), pixelType)
                            : sampled(result, Boolean.TRUE.equals(request.includePixels()), format);
                    case InferenceResults.SampleJob queued ->
                            ResponseEntity.accepted().location(URI.create("/v1/jobs/" + queued.job().id()))
                                    .contentType(MediaType.APPLICATION_JSON).body(queued.job());
                });
    }

    // springdoc merges this and the JSON/PNG mapping into one operation, so both carry the same words.
    @Operation(summary = "Draw images from the model's prior", description = SAMPLE_DOC)
    @ApiResponse(responseCode = "200", description = "progress, preview, then result, job or error events", content =
            @Content(mediaType = MediaType.TEXT_EVENT_STREAM_VALUE, schema = @Schema(type = "string",
                    example = "event:progress\ndata:{\"level\":\"codes\",\"position\":1,\"positions\":49,\"fraction\":0.0204,"
                            + "\"elapsedMs\":12}\n\nevent:result\ndata:{\"model\":\"my-vqvae\",\"version\":2,...}\n\n")))
    @PostMapping(path = "/sample", consumes = MediaType.APPLICATION_JSON_VALUE, produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    ResponseEntity<SseEmitter> sampleEvents(
            @Parameter(description = "name or name@version", example = "fashion-vae") @PathVariable String model,
            @RequestBody(required = false) @Nullable SampleRequest body, HttpServletRequest servlet) throws IOException {
        SampleRequest request = orDefaults(body);
        boolean includePixels = Boolean.TRUE.equals(request.includePixels());
        return events.stream(request.previewRows(), listener -> submit(model, request, listener),
                result -> sampled(result, includePixels, MediaType.APPLICATION_JSON).getBody(), servlet.getRequestURI());
    }

    private static SampleRequest orDefaults(@Nullable SampleRequest body) {
        return body == null ? new SampleRequest(null, null, null, null, null, null, null) : body;
    }

    private CompletableFuture<InferenceResults.SampleOutcome> submit(String model, SampleRequest request,
            SampleWatch.@Nullable Listener listener) throws IOException {
        return inference.sample(model, request.count() == null ? DEFAULT_COUNT : request.count(), request.seed(),
                request.temperature() == null ? 1.0 : request.temperature(), request.topK(),
                request.temperatures() == null ? Map.of() : request.temperatures(), request.previewRows(), listener);
    }

    private static ResponseEntity<?> sampled(InferenceResults.Sampled result, boolean includePixels, MediaType format) {
        float[][] images = result.samples().images();
        if (MediaType.IMAGE_PNG.equals(format)) {
            return png(result.shape(), images);
        }
        Latents latents = result.samples().latents();
        return json(new SampleResponse(result.model(), result.version(), result.seed(),
                images(result.shape(), images, includePixels), LatentFields.latents(latents), LatentFields.codes(latents)));
    }

    @Operation(summary = "Encode images (JSON: base64 PNG/JPEG or raw pixels) to q(z|x)", description = ENCODE_DOC)
    @ApiResponse(responseCode = "200", description = "Posterior mean, log-variance and z per image", content = {
            @Content(mediaType = "application/json", schema = @Schema(implementation = EncodeResponse.class)),
            @Content(mediaType = ResponseFormats.NPY_VALUE, schema = @Schema(type = "string", format = "binary")),
            @Content(mediaType = ResponseFormats.NPZ_VALUE, schema = @Schema(type = "string", format = "binary")),
            @Content(mediaType = ResponseFormats.ZIP_VALUE, schema = @Schema(type = "string", format = "binary"))})
    @PostMapping(path = "/encode", consumes = MediaType.APPLICATION_JSON_VALUE, produces = {MediaType.APPLICATION_JSON_VALUE,
            ResponseFormats.NPY_VALUE, ResponseFormats.NPZ_VALUE, ResponseFormats.ZIP_VALUE})
    DeferredResult<ResponseEntity<?>> encode(@PathVariable String model, @RequestBody ImagesRequest body,
            @RequestHeader(name = HttpHeaders.ACCEPT, required = false) @Nullable String accept) throws IOException {
        MediaType format = ResponseFormats.choose(accept, ResponseFormats.ARRAYS);
        return responses.answer(inference.encode(model, inputs(body), Boolean.TRUE.equals(body.sample()),
                Boolean.TRUE.equals(body.includeVectors()), body.seed()), result -> encoded(result, format));
    }

    @Operation(summary = "Encode uploaded images (multipart parts named 'image') to q(z|x)", description = ENCODE_DOC)
    @ApiResponse(responseCode = "200", description = "Posterior mean, log-variance and z per image",
            content = @Content(mediaType = "application/json", schema = @Schema(implementation = EncodeResponse.class)))
    @PostMapping(path = "/encode", consumes = MediaType.MULTIPART_FORM_DATA_VALUE, produces = {MediaType.APPLICATION_JSON_VALUE,
            ResponseFormats.NPY_VALUE, ResponseFormats.NPZ_VALUE, ResponseFormats.ZIP_VALUE})
    DeferredResult<ResponseEntity<?>> encodeMultipart(@PathVariable String model, @RequestPart("image") List<MultipartFile> image,
            @RequestParam(name = "sample", defaultValue = "false") boolean sample,
            @RequestParam(name = "includeVectors", defaultValue = "false") boolean includeVectors,
            @RequestParam(name = "seed", required = false) @Nullable Long seed,
            @RequestHeader(name = HttpHeaders.ACCEPT, required = false) @Nullable String accept) throws IOException {
        MediaType format = ResponseFormats.choose(accept, ResponseFormats.ARRAYS);
        return responses.answer(inference.encode(model, inputs(image), sample, includeVectors, seed),
                result -> encoded(result, format));
    }

    @Operation(summary = "Encode images sent as one NumPy array (N, C, H, W), (N, H, W) or (N, H, W, C) to q(z|x)",
            description = ENCODE_DOC + " The array is uint8 (0..255) or float32 in [0, 1], little-endian; a 4-d shape that "
                    + "fits both ways is read channels-first.")
    @ApiResponse(responseCode = "200", description = "Posterior mean, log-variance and z per image",
            content = @Content(mediaType = "application/json", schema = @Schema(implementation = EncodeResponse.class)))
    @PostMapping(path = "/encode", consumes = ResponseFormats.NPY_VALUE, produces = {MediaType.APPLICATION_JSON_VALUE,
            ResponseFormats.NPY_VALUE, ResponseFormats.NPZ_VALUE, ResponseFormats.ZIP_VALUE})
    DeferredResult<ResponseEntity<?>> encodeArray(@PathVariable String model,
            @io.swagger.v3.oas.annotations.parameters.RequestBody(description = "An npy file (np.save)", content =
                    @Content(mediaType = ResponseFormats.NPY_VALUE, schema = @Schema(type = "string", format = "binary")))
            @RequestBody byte[] body,
            @RequestParam(name = "sample", defaultValue = "false") boolean sample,
            @RequestParam(name = "includeVectors", defaultValue = "false") boolean includeVectors,
            @RequestParam(name = "seed", required = false) @Nullable Long seed,
            @RequestHeader(name = HttpHeaders.ACCEPT, required = false) @Nullable String accept) throws IOException {
        MediaType format = ResponseFormats.choose(accept, ResponseFormats.ARRAYS);
        return responses.answer(inference.encodeArray(model, NpyArray.read(body), sample, includeVectors, seed),
                result -> encoded(result, format));
    }

    @Operation(summary = "Decode latent vectors to images", description = PNG_OR_JSON_DOC)
    @ApiResponse(responseCode = "200", description = "The decoded images", content = {
            @Content(mediaType = "application/json", schema = @Schema(implementation = DecodeResponse.class)),
            @Content(mediaType = "image/png", schema = @Schema(type = "string", format = "binary")),
            @Content(mediaType = ResponseFormats.NPY_VALUE, schema = @Schema(type = "string", format = "binary"))})
    @PostMapping(path = "/decode", consumes = MediaType.APPLICATION_JSON_VALUE,
            produces = {MediaType.APPLICATION_JSON_VALUE, MediaType.IMAGE_PNG_VALUE, ResponseFormats.NPY_VALUE})
    DeferredResult<ResponseEntity<?>> decode(@PathVariable String model, @RequestBody DecodeRequest body,
            @Parameter(description = DTYPE_DOC) @RequestParam(name = "dtype", required = false) @Nullable String dtype,
            @RequestHeader(name = HttpHeaders.ACCEPT, required = false) @Nullable String accept) throws IOException {
        int given = (body.latents() == null ? 0 : 1) + (body.codes() == null ? 0 : 1) + (body.vectors() == null ? 0 : 1);
        if (given != 1) {
            throw new BadRequestException("missing-field", "Send latents, codes or vectors",
                    "send exactly one of {\"latents\": [[...]]} (VAE), {\"codes\": [[[...]]]} or {\"vectors\": [[...]]} (VQ-VAE), "
                            + "or {\"codes\": {\"top\": [[[...]]], \"bottom\": [[[...]]]}} (VQ-VAE-2)");
        }
        boolean includePixels = Boolean.TRUE.equals(body.includePixels());
        MediaType format = ResponseFormats.choose(accept, ResponseFormats.IMAGES);
        NpyAnswers.PixelType pixelType = NpyAnswers.PixelType.of(dtype);
        return responses.answer(inference.decode(model, InferenceApi.LatentInput.sent(body.latents()), body.codes(), body.vectors()),
                result -> decoded(result, includePixels, format, pixelType));
    }

    @Operation(summary = "Decode latents or codes sent as NumPy arrays", description = PNG_OR_JSON_DOC + " Send VAE latents "
            + "as float32 or float64 (N, D) (spatial latents (N, C, h, w)), VQ-VAE codes as integer (N, h, w) "
            + "(int32, int64, int16, uint8, ...), both as npy (application/x-npy); VQ-VAE-2 codes as an npz archive "
            + "(application/x-npz or application/zip) of top and bottom, each integer (N, h, w). Little-endian only.")
    @ApiResponse(responseCode = "200", description = "The decoded images", content = {
            @Content(mediaType = "application/json", schema = @Schema(implementation = DecodeResponse.class))})
    @PostMapping(path = "/decode", consumes = {ResponseFormats.NPY_VALUE, ResponseFormats.NPZ_VALUE, ResponseFormats.ZIP_VALUE},
            produces = {MediaType.APPLICATION_JSON_VALUE, MediaType.IMAGE_PNG_VALUE, ResponseFormats.NPY_VALUE})
    DeferredResult<ResponseEntity<?>> decodeArrays(@PathVariable String model,
            @io.swagger.v3.oas.annotations.parameters.RequestBody(description = "An npy file (np.save) or npz archive (np.savez)",
                    content = {
                            @Content(mediaType = ResponseFormats.NPY_VALUE, schema = @Schema(type = "string", format = "binary")),
                            @Content(mediaType = ResponseFormats.NPZ_VALUE, schema = @Schema(type = "string", format = "binary")),
                            @Content(mediaType = ResponseFormats.ZIP_VALUE, schema = @Schema(type = "string", format = "binary"))})
            @RequestBody byte[] body,
            @Parameter(description = "Also return raw CHW pixels in [0, 1] per image (JSON answers)")
            @RequestParam(name = "includePixels", defaultValue = "false") boolean includePixels,
            @Parameter(description = DTYPE_DOC) @RequestParam(name = "dtype", required = false) @Nullable String dtype,
            @RequestHeader(name = HttpHeaders.CONTENT_TYPE) String contentType,
            @RequestHeader(name = HttpHeaders.ACCEPT, required = false) @Nullable String accept) throws IOException {
        MediaType format = ResponseFormats.choose(accept, ResponseFormats.IMAGES);
        NpyAnswers.PixelType pixelType = NpyAnswers.PixelType.of(dtype);
        Map<String, NpyArray> arrays = ResponseFormats.NPY.isCompatibleWith(MediaType.parseMediaType(contentType))
                ? Map.of("", NpyArray.read(body)) : Npz.read(body, MAX_NPZ_ARRAYS, MAX_NPZ_BYTES);
        return responses.answer(inference.decodeArrays(model, arrays), result -> decoded(result, includePixels, format, pixelType));
    }

    private static ResponseEntity<?> decoded(InferenceResults.Decoded result, boolean includePixels, MediaType format,
            NpyAnswers.PixelType pixelType) {
        if (ResponseFormats.NPY.equals(format)) {
            return NpyAnswers.images(result.shape(), result.images(), pixelType);
        }
        return MediaType.IMAGE_PNG.equals(format) ? png(result.shape(), result.images())
                : json(new DecodeResponse(result.model(), result.version(), images(result.shape(), result.images(), includePixels)));
    }

    @Operation(summary = "Reconstruct images (JSON body) through the posterior mean", description = PNG_OR_JSON_DOC)
    @ApiResponse(responseCode = "200", description = "Reconstructions with MSE and negative ELBO", content = {
            @Content(mediaType = "application/json", schema = @Schema(implementation = ReconstructResponse.class)),
            @Content(mediaType = "image/png", schema = @Schema(type = "string", format = "binary")),
            @Content(mediaType = ResponseFormats.NPY_VALUE, schema = @Schema(type = "string", format = "binary"))})
    @PostMapping(path = "/reconstruct", consumes = MediaType.APPLICATION_JSON_VALUE,
            produces = {MediaType.APPLICATION_JSON_VALUE, MediaType.IMAGE_PNG_VALUE, ResponseFormats.NPY_VALUE})
    DeferredResult<ResponseEntity<?>> reconstruct(@PathVariable String model, @RequestBody ImagesRequest body,
            @Parameter(description = DTYPE_DOC) @RequestParam(name = "dtype", required = false) @Nullable String dtype,
            @RequestHeader(name = HttpHeaders.ACCEPT, required = false) @Nullable String accept) throws IOException {
        boolean includePixels = Boolean.TRUE.equals(body.includePixels());
        MediaType format = ResponseFormats.choose(accept, ResponseFormats.IMAGES);
        NpyAnswers.PixelType pixelType = NpyAnswers.PixelType.of(dtype);
        return responses.answer(inference.reconstruct(model, inputs(body), body.seed()),
                result -> reconstructed(result, includePixels, format, pixelType));
    }

    @Operation(summary = "Reconstruct images sent as one NumPy array (N, C, H, W), (N, H, W) or (N, H, W, C)",
            description = PNG_OR_JSON_DOC + " The array is uint8 (0..255) or float32 in [0, 1], little-endian; a 4-d shape "
                    + "that fits both ways is read channels-first. An npy answer holds the reconstructions only: MSE and "
                    + "negative ELBO come with JSON.")
    @ApiResponse(responseCode = "200", description = "Reconstructions with MSE and negative ELBO", content = {
            @Content(mediaType = "application/json", schema = @Schema(implementation = ReconstructResponse.class))})
    @PostMapping(path = "/reconstruct", consumes = ResponseFormats.NPY_VALUE,
            produces = {MediaType.APPLICATION_JSON_VALUE, MediaType.IMAGE_PNG_VALUE, ResponseFormats.NPY_VALUE})
    DeferredResult<ResponseEntity<?>> reconstructArray(@PathVariable String model,
            @io.swagger.v3.oas.annotations.parameters.RequestBody(description = "An npy file (np.save)", content =
                    @Content(mediaType = ResponseFormats.NPY_VALUE, schema = @Schema(type = "string", format = "binary")))
            @RequestBody byte[] body,
            @RequestParam(name = "seed", required = false) @Nullable Long seed,
            @Parameter(description = "Also return raw CHW pixels in [0, 1] per image (JSON answers)")
            @RequestParam(name = "includePixels", defaultValue = "false") boolean includePixels,
            @Parameter(description = DTYPE_DOC) @RequestParam(name = "dtype", required = false) @Nullable String dtype,
            @RequestHeader(name = HttpHeaders.ACCEPT, required = false) @Nullable String accept) throws IOException {
        MediaType format = ResponseFormats.choose(accept, ResponseFormats.IMAGES);
        NpyAnswers.PixelType pixelType = NpyAnswers.PixelType.of(dtype);
        return responses.answer(inference.reconstructArray(model, NpyArray.read(body), seed),
                result -> reconstructed(result, includePixels, format, pixelType));
    }

    @Operation(summary = "Reconstruct uploaded images (multipart parts named 'image')", description = PNG_OR_JSON_DOC)
    @ApiResponse(responseCode = "200", description = "Reconstructions with MSE and negative ELBO", content = {
            @Content(mediaType = "application/json", schema = @Schema(implementation = ReconstructResponse.class)),
            @Content(mediaType = "image/png", schema = @Schema(type = "string", format = "binary")),
            @Content(mediaType = ResponseFormats.NPY_VALUE, schema = @Schema(type = "string", format = "binary"))})
    @PostMapping(path = "/reconstruct", consumes = MediaType.MULTIPART_FORM_DATA_VALUE,
            produces = {MediaType.APPLICATION_JSON_VALUE, MediaType.IMAGE_PNG_VALUE, ResponseFormats.NPY_VALUE})
    DeferredResult<ResponseEntity<?>> reconstructMultipart(@PathVariable String model,
            @RequestPart("image") List<MultipartFile> image, @RequestParam(name = "seed", required = false) @Nullable Long seed,
            @Parameter(description = DTYPE_DOC) @RequestParam(name = "dtype", required = false) @Nullable String dtype,
            @RequestHeader(name = HttpHeaders.ACCEPT, required = false) @Nullable String accept) throws IOException {
        MediaType format = ResponseFormats.choose(accept, ResponseFormats.IMAGES);
        NpyAnswers.PixelType pixelType = NpyAnswers.PixelType.of(dtype);
        return responses.answer(inference.reconstruct(model, inputs(image), seed),
                result -> reconstructed(result, false, format, pixelType));
    }

    private static ResponseEntity<?> reconstructed(Reconstructed result, boolean includePixels, MediaType format,
            NpyAnswers.PixelType pixelType) {
        if (ResponseFormats.NPY.equals(format)) {
            return NpyAnswers.images(result.shape(), result.reconstructions().stream().map(r -> r.pixels()).toArray(float[][]::new),
                    pixelType);
        }
        if (MediaType.IMAGE_PNG.equals(format)) {
            return png(result.shape(), result.reconstructions().stream().map(r -> r.pixels()).toArray(float[][]::new));
        }
        List<ReconstructionJson> items = result.reconstructions().stream().map(r -> new ReconstructionJson(
                base64Png(result.shape(), r.pixels()), r.mse(), r.negativeElbo(), r.codes() == null ? null : r.codes().json(0),
                includePixels ? r.pixels() : null))
                .toList();
        return json(new ReconstructResponse(result.model(), result.version(), items));
    }

    private static ResponseEntity<?> encoded(InferenceResults.Encoded result, MediaType format) {
        LoadedModel.Encoded encoded = result.encoded();
        if (!MediaType.APPLICATION_JSON.equals(format)) {
            return NpyAnswers.encoded(encoded, format);
        }
        return json(new EncodeResponse(result.model(), result.version(), LatentFields.latents(encoded.latents()),
                LatentFields.codes(encoded.latents()), encoded.vectors() == null ? null : encoded.vectors().json()));
    }

    static List<ImageInput> inputs(ImagesRequest body) {
        boolean hasImages = body.images() != null && !body.images().isEmpty();
        boolean hasPixels = body.pixels() != null && !body.pixels().isEmpty();
        if (hasImages == hasPixels) {
            throw new BadRequestException("missing-field", "Send images or pixels",
                    "send exactly one of {\"images\": [\"<base64 png>\", ...]} or {\"pixels\": [[...C*H*W floats...]]}");
        }
        List<ImageInput> inputs = new ArrayList<>();
        if (hasImages) {
            for (int i = 0; i < body.images().size(); i++) {
                String encoded = body.images().get(i);
                try {
                    inputs.add(new ImageInput.Encoded(Base64.getMimeDecoder().decode(withoutDataUrlPrefix(encoded))));
                } catch (IllegalArgumentException e) {
                    throw new BadRequestException("invalid-base64", "Invalid base64", "images[" + i + "] is not valid base64: "
                            + e.getMessage());
                }
            }
        } else {
            body.pixels().forEach(p -> inputs.add(new ImageInput.Pixels(p == null ? new float[0] : p)));
        }
        return inputs;
    }

    /** Browsers hand images over as data URLs ({@code data:image/png;base64,...}): take the base64 part. */
    private static String withoutDataUrlPrefix(@Nullable String encoded) {
        if (encoded == null) {
            return "";
        }
        int comma = encoded.indexOf(',');
        return encoded.startsWith("data:") && comma > 0 && encoded.substring(0, comma).endsWith(";base64")
                ? encoded.substring(comma + 1) : encoded;
    }

    static List<ImageInput> inputs(List<MultipartFile> parts) throws IOException {
        List<ImageInput> inputs = new ArrayList<>();
        for (MultipartFile part : parts) {
            inputs.add(new ImageInput.Encoded(part.getBytes()));
        }
        return inputs;
    }

    /** JSON with its type set, so Spring writes it as negotiated by {@link ResponseFormats}, whatever Accept says. */
    static ResponseEntity<?> json(Object body) {
        return ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).body(body);
    }

    private static ResponseEntity<byte[]> png(ImageShape shape, float[][] images) {
        byte[] grid = ImageCodec.grid(shape, Arrays.asList(images), ImageCodec.gridColumns(images.length));
        return ResponseEntity.ok().contentType(MediaType.IMAGE_PNG).body(grid);
    }

    static List<ImageJson> images(ImageShape shape, float[][] images, boolean includePixels) {
        return Arrays.stream(images).map(pixels -> new ImageJson(base64Png(shape, pixels), includePixels ? pixels : null)).toList();
    }

    private static String base64Png(ImageShape shape, float[] pixels) {
        return Base64.getEncoder().encodeToString(ImageCodec.png(shape, pixels));
    }
}
