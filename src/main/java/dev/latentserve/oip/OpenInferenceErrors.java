package dev.latentserve.oip;

import dev.latentserve.api.ProblemException;
import dev.latentserve.api.ProblemHandler;
import dev.latentserve.api.ResponseFormats;
import jakarta.servlet.http.HttpServletRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.ErrorResponse;
import org.springframework.web.HttpMediaTypeNotAcceptableException;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/**
 * Errors of {@code /v2} in the protocol's form, {@code {"error": "..."}}, ahead of the RFC 9457 problems of the rest of
 * the API. Statuses follow the protocol: a request that does not fit the model (the service's 409 and 422 too) is 400,
 * an unknown model or version 404; the service's own 401, 403, 413, 429 and 503 keep their meaning (and Retry-After).
 */
@RestControllerAdvice(assignableTypes = OpenInferenceController.class)
@Order(Ordered.HIGHEST_PRECEDENCE)
class OpenInferenceErrors {

    private static final Logger log = LoggerFactory.getLogger(OpenInferenceErrors.class);

    @ExceptionHandler(ProblemException.class)
    ResponseEntity<OipApi.Error> described(ProblemException e) {
        ResponseEntity.BodyBuilder response = ResponseEntity.status(status(e.status().value()));
        if (e.retryAfterSeconds() != null) {
            response.header(HttpHeaders.RETRY_AFTER, e.retryAfterSeconds().toString());
        }
        return response.contentType(MediaType.APPLICATION_JSON).body(new OipApi.Error(e.getMessage()));
    }

    /** A body that could not be read: over the size limit while read (413), or cut short or gone (400). */
    @ExceptionHandler(HttpMessageNotReadableException.class)
    ResponseEntity<OipApi.Error> unreadable(HttpMessageNotReadableException e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof ProblemException problem) {
                return described(problem);
            }
        }
        return error(HttpStatus.BAD_REQUEST, "the request body could not be read: " + e.getMostSpecificCause().getMessage());
    }

    /** A Content-Type that infer does not take or that does not parse: the same words as the rest of the API's 415. */
    @ExceptionHandler(HttpMediaTypeNotSupportedException.class)
    ResponseEntity<OipApi.Error> unsupported(HttpMediaTypeNotSupportedException e, HttpServletRequest request) {
        return error(HttpStatus.UNSUPPORTED_MEDIA_TYPE, ProblemHandler.unsupported(e, request.getHeader(HttpHeaders.CONTENT_TYPE)));
    }

    /** An Accept that allows no type the endpoint answers with (406), or one that does not parse (400), in plain words. */
    @ExceptionHandler(HttpMediaTypeNotAcceptableException.class)
    ResponseEntity<OipApi.Error> notAcceptable(HttpMediaTypeNotAcceptableException e, HttpServletRequest request) {
        return described(ResponseFormats.notAcceptable(request.getHeader(HttpHeaders.ACCEPT), e.getSupportedMediaTypes()));
    }

    @ExceptionHandler(Exception.class)
    ResponseEntity<OipApi.Error> unexpected(Exception e, HttpServletRequest request) {
        if (e instanceof ErrorResponse spring) {
            String detail = spring.getBody().getDetail();
            return error(status(spring.getStatusCode().value()), detail == null ? e.getMessage() : detail);
        }
        log.error("unexpected error on {} {}", request.getMethod(), request.getRequestURI(), e);
        return error(HttpStatus.INTERNAL_SERVER_ERROR, "the server failed to handle this request; the log has the details");
    }

    private static ResponseEntity<OipApi.Error> error(HttpStatus status, String message) {
        return ResponseEntity.status(status).contentType(MediaType.APPLICATION_JSON).body(new OipApi.Error(message));
    }

    /** The protocol's status for one of the service's: its own kinds kept, every other client error a 400. */
    static HttpStatus status(int status) {
        return switch (status) {
            case 401, 403, 404, 405, 406, 413, 415, 429, 503 -> HttpStatus.valueOf(status);
            default -> status >= 500 ? HttpStatus.valueOf(status) : HttpStatus.BAD_REQUEST;
        };
    }
}
