package dev.latentserve.api;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.validation.ConstraintViolationException;
import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.TypeMismatchException;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.core.NestedExceptionUtils;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.HttpMediaTypeNotAcceptableException;
import org.springframework.web.HttpRequestMethodNotSupportedException;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.bind.MethodArgumentNotValidException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.ServletWebRequest;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;
import org.springframework.web.multipart.MaxUploadSizeExceededException;
import org.springframework.web.multipart.MultipartException;
import org.springframework.web.multipart.support.MissingServletRequestPartException;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;
import org.springframework.web.servlet.resource.NoResourceFoundException;
import org.springframework.web.util.DisconnectedClientHelper;

/**
 * Every error as an RFC 9457 problem: a stable {@code type} URI per kind of problem, a title in words,
 * a {@code detail} saying what to fix, and the request path as {@code instance}.
 */
@RestControllerAdvice
public class ProblemHandler extends ResponseEntityExceptionHandler {

    public static final String TYPE_BASE = "https://latentserve.dev/problems/";
    private static final Logger log = LoggerFactory.getLogger(ProblemHandler.class);
    /** Clients that hang up mid-response are routine under load: one DEBUG line, not a WARN each. */
    private static final DisconnectedClientHelper DISCONNECTED = new DisconnectedClientHelper(
            ProblemHandler.class.getName() + ".disconnected");

    private final Endpoints endpoints;

    ProblemHandler(ObjectProvider<RequestMappingHandlerMapping> mappings) {
        this.endpoints = new Endpoints(mappings);
    }

    /** Every feature's own problems: the exception carries its status, type and title; its message is the detail. */
    @ExceptionHandler(ProblemException.class)
    ResponseEntity<ProblemDetail> described(ProblemException e, HttpServletRequest request) {
        ResponseEntity<ProblemDetail> response = problem(e.status(), e.type(), e.title(), e.getMessage(), request);
        Integer retryAfter = e.retryAfterSeconds();
        return retryAfter == null ? response : withRetryAfter(response, retryAfter);
    }

    /** A constraint on a query parameter ({@code limit} of {@code GET /v1/jobs}): name it, its bound and the value sent. */
    @ExceptionHandler(ConstraintViolationException.class)
    ResponseEntity<ProblemDetail> constraintViolation(ConstraintViolationException e, HttpServletRequest request) {
        String detail = e.getConstraintViolations().stream()
                .map(v -> lastNode(v.getPropertyPath().toString()) + " " + v.getMessage() + ", not " + v.getInvalidValue())
                .sorted().collect(Collectors.joining("; "));
        return problem(HttpStatus.BAD_REQUEST, "bad-request", "Invalid parameter", detail, request);
    }

    /** A multipart body the container could not parse (no boundary, no parts, truncated): the client's fault. */
    @ExceptionHandler(MultipartException.class)
    ResponseEntity<ProblemDetail> malformedMultipart(MultipartException e, HttpServletRequest request) {
        String reason = NestedExceptionUtils.getMostSpecificCause(e).getMessage();
        return problem(HttpStatus.BAD_REQUEST, "malformed-multipart", "Malformed multipart body",
                "the multipart/form-data body could not be read (" + reason + "); send a Content-Type with a boundary "
                        + "parameter and complete parts, as curl -F image=@picture.png does", request);
    }

    @ExceptionHandler(Exception.class)
    @Nullable ResponseEntity<ProblemDetail> unexpected(Exception e, HttpServletRequest request) {
        // A body cut short or a client gone is the client's doing, not a server error: no ERROR line, no stack trace.
        ResponseEntity<ProblemDetail> bodyRead = ContainerProblems.bodyReadFailure(e, request);
        if (bodyRead != null) {
            log.debug("request body unreadable on {} {}: {}", request.getMethod(), request.getRequestURI(), e.toString());
            return bodyRead;
        }
        if (DISCONNECTED.checkAndLogClientDisconnectedException(e)) {
            return null;
        }
        log.error("unexpected error on {} {}", request.getMethod(), request.getRequestURI(), e);
        return problem(HttpStatus.INTERNAL_SERVER_ERROR, "internal-error", "Internal error",
                "the server failed to handle this request; the log has the details", request);
    }

    /** A body that could not be read: cut short, over the size limit while being read, or not valid JSON. */
    @Override
    protected @Nullable ResponseEntity<Object> handleHttpMessageNotReadable(HttpMessageNotReadableException ex, HttpHeaders headers,
            HttpStatusCode status, WebRequest request) {
        if (request instanceof ServletWebRequest servlet) {
            ResponseEntity<ProblemDetail> bodyRead = ContainerProblems.bodyReadFailure(ex, servlet.getRequest());
            if (bodyRead != null) {
                log.debug("request body unreadable on {}: {}", servlet.getRequest().getRequestURI(),
                        ex.getMostSpecificCause().toString());
                return ResponseEntity.status(bodyRead.getStatusCode()).contentType(MediaType.APPLICATION_PROBLEM_JSON)
                        .body(bodyRead.getBody());
            }
        }
        // A problem the body's stream raised while it was read: a body over the size limit (see RequestSizeFilter).
        for (Throwable cause = ex; cause != null; cause = cause.getCause()) {
            if (cause instanceof ProblemException problem && request instanceof ServletWebRequest servlet) {
                ResponseEntity<ProblemDetail> response = described(problem, servlet.getRequest());
                return ResponseEntity.status(response.getStatusCode()).headers(response.getHeaders()).body(response.getBody());
            }
        }
        String detail = JsonProblems.describe(ex);
        if (detail == null && ex.getMessage() != null && ex.getMessage().startsWith("Required request body is missing")) {
            detail = "the request body is empty; send a JSON object (see the endpoint's example in /swagger-ui.html)";
        }
        // The type stays Spring's "bad-request", which clients already match on; only the detail says more.
        ResponseEntity<Object> response = detail == null ? null
                : problem(request, HttpStatus.BAD_REQUEST, "bad-request", "Unreadable JSON body", detail);
        return response != null ? response : super.handleHttpMessageNotReadable(ex, headers, status, request);
    }

    /** An upload over a size or part-count limit: say which limit, as the container reported it. */
    @Override
    protected @Nullable ResponseEntity<Object> handleMaxUploadSizeExceededException(MaxUploadSizeExceededException ex,
            HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        Throwable cause = NestedExceptionUtils.getMostSpecificCause(ex);
        String detail = "the upload exceeds a limit of this service (" + (cause.getMessage() == null ? ex.getMessage() : cause.getMessage())
                + "); at most spring.servlet.multipart.max-file-size per part, max-request-size in all and "
                + "server.tomcat.max-part-count parts";
        ResponseEntity<Object> response = problem(request, HttpStatus.CONTENT_TOO_LARGE, "content-too-large", "Upload too large", detail);
        return response != null ? response : super.handleMaxUploadSizeExceededException(ex, headers, status, request);
    }

    /** A multipart request without the part the endpoint reads: most often a text field where a file was meant. */
    @Override
    protected @Nullable ResponseEntity<Object> handleMissingServletRequestPart(MissingServletRequestPartException ex,
            HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        String part = ex.getRequestPartName();
        String detail = "the multipart body has no file part named '" + part + "'; send files as parts of that name (curl -F "
                + part + "=@file.png, with the @), or check that the body's boundary matches its Content-Type";
        ResponseEntity<Object> response = problem(request, HttpStatus.BAD_REQUEST, "bad-request", "Missing multipart part", detail);
        return response != null ? response : super.handleMissingServletRequestPart(ex, headers, status, request);
    }

    /** A query parameter or form field that does not convert ({@code seed=1.5e99}): name it and what it takes. */
    @Override
    protected @Nullable ResponseEntity<Object> handleTypeMismatch(TypeMismatchException ex, HttpHeaders headers, HttpStatusCode status,
            WebRequest request) {
        String name = ex instanceof MethodArgumentTypeMismatchException mismatch ? mismatch.getName() : ex.getPropertyName();
        Class<?> type = ex.getRequiredType();
        String takes = type == null ? "another value"
                : type == boolean.class || type == Boolean.class ? "true or false"
                : type == int.class || type == Integer.class || type == long.class || type == Long.class ? "a whole number"
                : type == double.class || type == Double.class ? "a number" : "a " + type.getSimpleName();
        String detail = "parameter '" + name + "' takes " + takes + ", not " + (ex.getValue()
                instanceof org.springframework.web.multipart.MultipartFile ? "a file (send it as -F " + name + "=<value>)"
                : "'" + ex.getValue() + "'");
        ResponseEntity<Object> response = problem(request, HttpStatus.BAD_REQUEST, "bad-request", "Invalid parameter", detail);
        return response != null ? response : super.handleTypeMismatch(ex, headers, status, request);
    }

    /** Bean Validation of a request body: every field that failed, with its rule and the value sent. */
    @Override
    protected @Nullable ResponseEntity<Object> handleMethodArgumentNotValid(MethodArgumentNotValidException ex, HttpHeaders headers,
            HttpStatusCode status, WebRequest request) {
        String detail = Stream.concat(
                ex.getBindingResult().getFieldErrors().stream()
                        .map(f -> f.getField() + " " + f.getDefaultMessage() + ", not " + f.getRejectedValue()),
                ex.getBindingResult().getGlobalErrors().stream().map(g -> g.getObjectName() + " " + g.getDefaultMessage()))
                .sorted().collect(Collectors.joining("; "));
        ResponseEntity<Object> response = problem(request, HttpStatus.BAD_REQUEST, "bad-request", "Invalid request body", detail);
        return response != null ? response : super.handleMethodArgumentNotValid(ex, headers, status, request);
    }

    /**
     * An endpoint called with a method it does not take: say which it takes, as {@code /v2} does. Not logged (the base
     * class warns through PageNotFound for every one): a client's mistake, answered in full.
     */
    @Override
    protected @Nullable ResponseEntity<Object> handleHttpRequestMethodNotSupported(HttpRequestMethodNotSupportedException ex,
            HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        String path = request instanceof ServletWebRequest servlet ? servlet.getRequest().getRequestURI() : "this endpoint";
        String[] supported = ex.getSupportedMethods();
        String detail = path + (supported == null || supported.length == 0 ? " does not take " + ex.getMethod()
                : " takes " + String.join(", ", supported) + ", not " + ex.getMethod());
        ResponseEntity<Object> response = problem(request, HttpStatus.METHOD_NOT_ALLOWED, "method-not-allowed", "Method Not Allowed",
                detail);
        return response == null ? super.handleHttpRequestMethodNotSupported(ex, headers, status, request)
                : withSpringHeaders(response, headers);
    }

    /** A malformed Accept header is a bad request; a well-formed one that allows nothing offered is 406. */
    @Override
    protected @Nullable ResponseEntity<Object> handleHttpMediaTypeNotAcceptable(HttpMediaTypeNotAcceptableException ex,
            HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        ProblemException refused = ResponseFormats.notAcceptable(request.getHeader(HttpHeaders.ACCEPT), ex.getSupportedMediaTypes());
        ResponseEntity<Object> response = problem(request, refused.status(), refused.type(), refused.title(), refused.getMessage());
        return response != null ? response : super.handleHttpMediaTypeNotAcceptable(ex, headers, status, request);
    }

    /** A path nothing answers (Spring's "No static resource"): name it and the endpoints beside it, such as a model's operations. */
    @Override
    protected @Nullable ResponseEntity<Object> handleNoResourceFoundException(NoResourceFoundException ex, HttpHeaders headers,
            HttpStatusCode status, WebRequest request) {
        String path = request instanceof ServletWebRequest servlet ? servlet.getRequest().getRequestURI() : "/" + ex.getResourcePath();
        ResponseEntity<Object> response = problem(request, HttpStatus.NOT_FOUND, "not-found", "Not Found",
                endpoints.noEndpoint(ex.getHttpMethod().name(), path));
        return response != null ? response : super.handleNoResourceFoundException(ex, headers, status, request);
    }

    /** A Content-Type the endpoint does not take, or one that does not parse: say which, and what it takes. */
    @Override
    protected @Nullable ResponseEntity<Object> handleHttpMediaTypeNotSupported(HttpMediaTypeNotSupportedException ex,
            HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        ResponseEntity<Object> response = problem(request, HttpStatus.UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type",
                "Unsupported Media Type", unsupported(ex, request.getHeader(HttpHeaders.CONTENT_TYPE)));
        return response == null ? super.handleHttpMediaTypeNotSupported(ex, headers, status, request)
                : withSpringHeaders(response, headers);
    }

    /** Our problem with the headers Spring MVC adds for the error (Allow, Accept, Accept-Post). */
    private static ResponseEntity<Object> withSpringHeaders(ResponseEntity<Object> response, HttpHeaders headers) {
        return ResponseEntity.status(response.getStatusCode()).headers(response.getHeaders()).headers(headers).body(response.getBody());
    }

    /** The detail of a 415: what was sent and, where the endpoint says, the types it takes. */
    public static String unsupported(HttpMediaTypeNotSupportedException ex, @Nullable String contentType) {
        String malformed = contentType == null ? null : ContentTypes.problem(contentType);
        String sent = contentType == null || contentType.isBlank() ? "the request has no Content-Type"
                : malformed != null ? "the Content-Type '" + contentType + "' is malformed (" + malformed + ")"
                : "this endpoint does not take Content-Type " + contentType;
        List<String> accepted = ex.getSupportedMediaTypes().stream().map(MediaType::toString).distinct().toList();
        // curl -d sends a form unless told the type: say how to send JSON.
        boolean form = contentType != null && contentType.toLowerCase(Locale.ROOT).startsWith(MediaType.APPLICATION_FORM_URLENCODED_VALUE);
        return sent + (accepted.isEmpty() ? "" : "; it takes " + String.join(", ", accepted))
                + (form && accepted.contains(MediaType.APPLICATION_JSON_VALUE)
                        ? " (curl -d sends a form unless given -H 'Content-Type: application/json')" : "");
    }

    /** Spring MVC's own errors (unreadable JSON, wrong media type, oversize upload, ...) get our type URIs too. */
    @Override
    protected @Nullable ResponseEntity<Object> handleExceptionInternal(Exception ex, @Nullable Object body, HttpHeaders headers,
            HttpStatusCode statusCode, WebRequest request) {
        if (DISCONNECTED.checkAndLogClientDisconnectedException(ex)) {
            return null;
        }
        ResponseEntity<Object> response = super.handleExceptionInternal(ex, body, headers, statusCode, request);
        if (response != null && response.getBody() instanceof ProblemDetail problem) {
            if (problem.getType() == null || "about:blank".equals(problem.getType().toString())) {
                problem.setType(URI.create(TYPE_BASE + slug(statusCode)));
            }
            if (request instanceof ServletWebRequest servlet) {
                problem.setInstance(URI.create(servlet.getRequest().getRequestURI()));
            }
            // Set the type here: negotiating it against the request's Accept header could fail and lose the problem.
            return ResponseEntity.status(response.getStatusCode()).headers(response.getHeaders())
                    .contentType(MediaType.APPLICATION_PROBLEM_JSON).body(problem);
        }
        return response;
    }

    public static ResponseEntity<ProblemDetail> problem(HttpStatus status, String type, String title, @Nullable String detail,
            HttpServletRequest request) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail == null ? title : detail);
        problem.setType(URI.create(TYPE_BASE + type));
        problem.setTitle(title);
        problem.setInstance(instance(request.getRequestURI()));
        return ResponseEntity.status(status).contentType(MediaType.APPLICATION_PROBLEM_JSON).body(problem);
    }

    /**
     * {@link #problem(HttpStatus, String, String, String, HttpServletRequest)} in the form Spring MVC's own handlers
     * return; null outside a servlet request, where the base class answers.
     */
    private static @Nullable ResponseEntity<Object> problem(WebRequest request, HttpStatus status, String type, String title,
            @Nullable String detail) {
        if (!(request instanceof ServletWebRequest servlet)) {
            return null;
        }
        ResponseEntity<ProblemDetail> problem = problem(status, type, title, detail, servlet.getRequest());
        return ResponseEntity.status(problem.getStatusCode()).headers(problem.getHeaders()).body(problem.getBody());
    }

    private static ResponseEntity<ProblemDetail> withRetryAfter(ResponseEntity<ProblemDetail> response, int seconds) {
        return ResponseEntity.status(response.getStatusCode()).headers(response.getHeaders())
                .header(HttpHeaders.RETRY_AFTER, Integer.toString(seconds)).body(response.getBody());
    }

    /** The request's path as the instance; none where Tomcat could not parse the request line (see ProblemReportValve). */
    static @Nullable URI instance(@Nullable String path) {
        try {
            return path == null || path.isEmpty() ? null : URI.create(path);
        } catch (IllegalArgumentException notAUri) {
            return null;
        }
    }

    static String slug(HttpStatusCode status) {
        HttpStatus known = HttpStatus.resolve(status.value());
        return known == null ? "http-" + status.value() : known.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    private static String lastNode(String path) {
        return path.substring(path.lastIndexOf('.') + 1);
    }
}
