package dev.latentserve.api;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * Writes an RFC 9457 problem straight to the servlet response, for filters that answer before Spring MVC runs
 * (admission, authentication, rate limits, body size), with the same members as {@link ProblemHandler}'s; on the
 * Open Inference Protocol's {@code /v2} paths, as that protocol's {@code {"error": detail}}.
 */
@Component
public class ProblemWriter {

    private final JsonMapper json;

    ProblemWriter(JsonMapper json) {
        this.json = json;
    }

    public void write(HttpServletRequest request, HttpServletResponse response, HttpStatus status, String type, String title,
            String detail, @Nullable Integer retryAfterSeconds) throws IOException {
        response.setStatus(status.value());
        if (retryAfterSeconds != null) {
            response.setHeader(HttpHeaders.RETRY_AFTER, Integer.toString(retryAfterSeconds));
        }
        if (isOpenInferenceProtocol(request, request.getRequestURI())) {
            // The protocol's clients read {"error": "..."}, whatever refused the request.
            response.setContentType(MediaType.APPLICATION_JSON_VALUE);
            response.getOutputStream().write(json.writeValueAsBytes(Map.of("error", detail)));
            return;
        }
        ProblemDetail problem = ProblemHandler.problem(status, type, title, detail, request).getBody();
        response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
        response.getOutputStream().write(json.writeValueAsBytes(problem));
    }

    /**
     * Whether {@code uri}, a request URI with the context path, is one of the Open Inference Protocol's under
     * {@code /v2}, which answer errors in its own form.
     */
    static boolean isOpenInferenceProtocol(HttpServletRequest request, @Nullable String uri) {
        String context = request.getContextPath() == null ? "" : request.getContextPath();
        if (uri == null || !uri.startsWith(context)) {
            return false;
        }
        String path = uri.substring(context.length());
        return path.equals("/v2") || path.startsWith("/v2/");
    }

    /** A problem in the Open Inference Protocol's form, {@code {"error": detail}}, with its status and headers. */
    static ResponseEntity<Map<String, String>> asProtocolError(ResponseEntity<ProblemDetail> problem) {
        ProblemDetail body = problem.getBody();
        String detail = body == null || body.getDetail() == null ? HttpStatus.valueOf(problem.getStatusCode().value())
                .getReasonPhrase() : body.getDetail();
        return ResponseEntity.status(problem.getStatusCode()).headers(problem.getHeaders())
                .contentType(MediaType.APPLICATION_JSON).body(Map.of("error", detail));
    }
}
