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
        if (isOpenInferenceProtocol(request)) {
            // The protocol's clients read {"error": "..."}, whatever refused the request.
            response.setContentType(MediaType.APPLICATION_JSON_VALUE);
            response.getOutputStream().write(json.writeValueAsBytes(Map.of("error", detail)));
            return;
        }
        ProblemDetail problem = ProblemHandler.problem(status, type, title, detail, request).getBody();
        response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
        response.getOutputStream().write(json.writeValueAsBytes(problem));
    }

    /** Requests to the Open Inference Protocol's endpoints under {@code /v2}, which answer errors in its own form. */
    private static boolean isOpenInferenceProtocol(HttpServletRequest request) {
        String path = request.getRequestURI().substring(request.getContextPath().length());
        return path.equals("/v2") || path.startsWith("/v2/");
    }
}
