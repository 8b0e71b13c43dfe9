package dev.latentserve.api;

import io.swagger.v3.oas.annotations.Hidden;
import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.webmvc.error.ErrorAttributes;
import org.springframework.boot.webmvc.error.ErrorController;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.context.request.ServletWebRequest;

/**
 * Answers the container's error dispatch with a problem instead of Spring Boot's {@code {"timestamp", "status",
 * "error", "path"}}. Errors arrive here that Spring MVC's exception handling never saw: Tomcat's own
 * {@code sendError} when a request body ends before its Content-Length (400) or stops arriving (408), and exceptions
 * thrown by filters. Replaces Boot's BasicErrorController, which stands back when an {@link ErrorController} exists.
 */
@RestController
// The command-line tools start the application without a web server, where there is no error dispatch (and no
// ErrorAttributes bean) to answer.
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
// The container's error dispatch, not an operation of the API.
@Hidden
class ErrorProblemController implements ErrorController {

    private final ErrorAttributes errors;

    ErrorProblemController(ErrorAttributes errors) {
        this.errors = errors;
    }

    /** The problem for the error, or on the Open Inference Protocol's paths its {@code {"error": detail}}. */
    @RequestMapping("${server.error.path:${error.path:/error}}")
    ResponseEntity<?> error(HttpServletRequest request) {
        if (!(request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE) instanceof Integer status)) {
            // Someone asked for /error itself: there is nothing there.
            return ProblemHandler.problem(HttpStatus.NOT_FOUND, "not-found", "Not Found",
                    "no resource at " + request.getRequestURI() + "; the API's paths are listed at /swagger-ui.html", request);
        }
        // The exception picks the kind of problem; only the container's message (sendError's) is shown to the client.
        Throwable error = errors.getError(new ServletWebRequest(request));
        String message = request.getAttribute(RequestDispatcher.ERROR_MESSAGE) instanceof String text ? text : null;
        ResponseEntity<ProblemDetail> response = ContainerProblems.describe(status, error, message, request);
        String path = request.getAttribute(RequestDispatcher.ERROR_REQUEST_URI) instanceof String uri ? uri : null;
        if (ProblemWriter.isOpenInferenceProtocol(request, path)) {
            return ProblemWriter.asProtocolError(response);
        }
        if (path != null && response.getBody() != null) {
            response.getBody().setInstance(ProblemHandler.instance(path));
        }
        return response;
    }
}
