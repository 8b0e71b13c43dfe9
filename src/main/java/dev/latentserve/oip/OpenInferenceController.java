package dev.latentserve.oip;

import dev.latentserve.api.ResponseFormats;
import dev.latentserve.config.ApiRole;
import dev.latentserve.serving.AsyncResponses;
import io.swagger.v3.oas.annotations.Hidden;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.context.request.async.DeferredResult;
import tools.jackson.databind.json.JsonMapper;

/**
 * The Open Inference Protocol's REST endpoints under {@code /v2}. Left out of the OpenAPI document on purpose: the
 * protocol has its own specification (and OpenAPI file) that clients are written against, and an inference body is
 * either JSON or a JSON header followed by raw tensor bytes, which one OpenAPI schema cannot describe.
 */
@RestController
@ApiRole
@Hidden
@RequestMapping("/v2")
class OpenInferenceController {

    static final List<String> EXTENSIONS = List.of("binary_tensor_data");
    /**
     * What infer reads and answers: JSON, or the binary extension's JSON header and tensor bytes. A request without a
     * Content-Type is read too (Spring takes it as application/octet-stream): KServe's and Triton's clients send binary
     * bodies without one, and the body says by its {@value TensorCodec#HEADER_LENGTH} header which it is.
     */
    static final List<MediaType> INFER_TYPES = List.of(MediaType.APPLICATION_JSON, MediaType.APPLICATION_OCTET_STREAM);

    private final OpenInferenceService models;
    private final AsyncResponses responses;
    private final TensorCodec codec;
    private final String serverVersion;

    OpenInferenceController(OpenInferenceService models, AsyncResponses responses, JsonMapper json) {
        this.models = models;
        this.responses = responses;
        this.codec = new TensorCodec(json);
        String version = OpenInferenceController.class.getPackage().getImplementationVersion();
        this.serverVersion = version == null ? "development" : version;
    }

    @GetMapping("/health/live")
    OipApi.Health live() {
        return new OipApi.Health(true, null);
    }

    /** 200 when the service can serve; 400 (the protocol's "not ready") with the reason otherwise. */
    @GetMapping("/health/ready")
    ResponseEntity<?> ready() {
        String reason = models.notReadyReason();
        return reason == null ? ResponseEntity.ok(new OipApi.Health(null, true))
                : ResponseEntity.status(HttpStatus.BAD_REQUEST).body(new OipApi.Error(reason));
    }

    @GetMapping
    OipApi.ServerMetadata server() {
        return new OipApi.ServerMetadata("latentserve", serverVersion, EXTENSIONS);
    }

    @GetMapping("/models/{model}")
    OipApi.ModelMetadata metadata(@PathVariable String model) {
        return models.metadata(model, null);
    }

    @GetMapping("/models/{model}/versions/{version}")
    OipApi.ModelMetadata metadata(@PathVariable String model, @PathVariable String version) {
        return models.metadata(model, version);
    }

    @GetMapping("/models/{model}/ready")
    OipApi.Health modelReady(@PathVariable String model) {
        models.checkReady(model, null);
        return new OipApi.Health(null, true);
    }

    @GetMapping("/models/{model}/versions/{version}/ready")
    OipApi.Health modelReady(@PathVariable String model, @PathVariable String version) {
        models.checkReady(model, version);
        return new OipApi.Health(null, true);
    }

    @PostMapping(path = "/models/{model}/infer",
            consumes = {MediaType.APPLICATION_JSON_VALUE, MediaType.APPLICATION_OCTET_STREAM_VALUE})
    DeferredResult<ResponseEntity<?>> infer(@PathVariable String model, @RequestBody(required = false) byte @Nullable [] body,
            @RequestHeader(name = TensorCodec.HEADER_LENGTH, required = false) @Nullable String headerLength,
            @RequestHeader(name = HttpHeaders.ACCEPT, required = false) @Nullable String accept) throws IOException {
        return run(model, null, body, headerLength, accept);
    }

    @PostMapping(path = "/models/{model}/versions/{version}/infer",
            consumes = {MediaType.APPLICATION_JSON_VALUE, MediaType.APPLICATION_OCTET_STREAM_VALUE})
    DeferredResult<ResponseEntity<?>> infer(@PathVariable String model, @PathVariable String version,
            @RequestBody(required = false) byte @Nullable [] body,
            @RequestHeader(name = TensorCodec.HEADER_LENGTH, required = false) @Nullable String headerLength,
            @RequestHeader(name = HttpHeaders.ACCEPT, required = false) @Nullable String accept) throws IOException {
        return run(model, version, body, headerLength, accept);
    }

    /**
     * Any other request under {@code /v2}, answered in the protocol's form rather than as the rest of the API's
     * problems: 405 for an endpoint of the protocol called with another method, 404 for a path it does not have, 415
     * for an infer body of a type it does not read (form-encoded, as {@code curl -d} sends by default, multipart, text).
     */
    @RequestMapping({"/**"})
    ResponseEntity<OipApi.Error> unknown(HttpServletRequest request) throws HttpMediaTypeNotSupportedException {
        String path = request.getRequestURI().substring(request.getContextPath().length());
        String method = request.getMethod();
        if (path.matches("/v2/models/[^/]+(/versions/[^/]+)?/infer")) {
            if (HttpMethod.POST.matches(method)) {
                throw new HttpMediaTypeNotSupportedException("infer takes JSON or the binary extension's bytes", INFER_TYPES);
            }
            return notAllowed(method, path, HttpMethod.POST);
        }
        if (path.matches("/v2(/health/(live|ready)|/models/[^/]+(/versions/[^/]+)?(/ready)?)?")) {
            return notAllowed(method, path, HttpMethod.GET);
        }
        return ResponseEntity.status(HttpStatus.NOT_FOUND).body(new OipApi.Error("no endpoint " + path + " in the Open Inference "
                + "Protocol: GET /v2, /v2/health/live, /v2/health/ready, /v2/models/{model}[/versions/{version}][/ready]; "
                + "POST /v2/models/{model}[/versions/{version}]/infer"));
    }

    private static ResponseEntity<OipApi.Error> notAllowed(String method, String path, HttpMethod allowed) {
        return ResponseEntity.status(HttpStatus.METHOD_NOT_ALLOWED).allow(allowed)
                .body(new OipApi.Error(path + " takes " + allowed.name() + ", not " + method));
    }

    private DeferredResult<ResponseEntity<?>> run(String model, @Nullable String version, byte @Nullable [] body,
            @Nullable String headerLength, @Nullable String accept) throws IOException {
        // The answer is JSON, or octet-stream when outputs are asked for as binary: refuse before the model runs.
        ResponseFormats.choose(accept, INFER_TYPES);
        InferRequest request = codec.read(body == null ? new byte[0] : body, headerLength);
        return responses.answer(models.infer(model, version, request), response -> encoded(request, response));
    }

    private ResponseEntity<?> encoded(InferRequest request, InferResponse response) {
        Set<String> binary = response.outputs().stream().map(Tensor::name).filter(request::binaryOutput).collect(Collectors.toSet());
        TensorCodec.Encoded encoded = codec.write(response, binary);
        if (encoded.headerLength() == null) {
            return ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).body(encoded.body());
        }
        return ResponseEntity.ok().contentType(MediaType.APPLICATION_OCTET_STREAM)
                .header(TensorCodec.HEADER_LENGTH, encoded.headerLength().toString()).body(encoded.body());
    }
}
