package dev.latentserve.api;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.servlet.RequestDispatcher;
import java.io.EOFException;
import java.net.SocketTimeoutException;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.webmvc.error.DefaultErrorAttributes;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.mock.web.MockHttpServletRequest;

/** The container's error dispatch, as Tomcat leaves it in the request's attributes, turned into problems. */
class ErrorProblemControllerTests {

    private final ErrorProblemController controller = new ErrorProblemController(new DefaultErrorAttributes());

    @Test
    void aBodyEndingBeforeItsContentLengthIsAnIncompleteBody() {
        MockHttpServletRequest request = errorDispatch(400, new EOFException("Unexpected EOF read on the socket"), "");
        request.setContent(new byte[1000]); // what it declared: the mock answers getContentLengthLong() with this
        ProblemDetail problem = body(controller.error(request), 400, "incomplete-body");
        assertThat(problem.getDetail()).contains("Content-Length", "1000");
        assertThat(problem.getInstance()).hasToString("/v1/datasets");
    }

    @Test
    void aBodyThatStopsArrivingIsARequestTimeout() {
        body(controller.error(errorDispatch(408, new SocketTimeoutException("Read timed out"), "")), 408, "request-timeout");
    }

    @Test
    void aFilterFailureSaysNothingAboutTheServersInsides() {
        var failure = new IllegalStateException("connection pool jdbc:h2:/srv/data exhausted");
        ProblemDetail problem = body(controller.error(errorDispatch(500, failure, failure.getMessage())), 500, "internal-error");
        assertThat(problem.getDetail()).doesNotContain("jdbc", "IllegalStateException");
    }

    @Test
    void aContainerMessageIsTheDetailOfAClientError() {
        ProblemDetail problem = body(controller.error(errorDispatch(414, null, "the URI is longer than 8192 bytes")), 414,
                "uri-too-long");
        assertThat(problem.getDetail()).isEqualTo("the URI is longer than 8192 bytes");
        ProblemDetail silent = body(controller.error(errorDispatch(400, null, "")), 400, "bad-request");
        assertThat(silent.getDetail()).contains("400 Bad Request", "Content-Length");
    }

    @Test
    void theOpenInferenceProtocolsPathsGetItsErrorFormWithTheSameStatusAndDetail() {
        MockHttpServletRequest request = errorDispatch(400, new EOFException("Unexpected EOF read on the socket"), "");
        request.setAttribute(RequestDispatcher.ERROR_REQUEST_URI, "/v2/models/fashion-vae.encode/infer");
        request.setContent(new byte[500]);
        ResponseEntity<?> response = controller.error(request);
        assertThat(response.getStatusCode().value()).isEqualTo(400);
        assertThat(response.getHeaders().getContentType()).hasToString("application/json");
        assertThat(response.getBody()).isEqualTo(Map.of("error", "the request body ended before its Content-Length: the "
                + "connection closed before all 500 bytes it declared arrived; send the whole body, with a Content-Length "
                + "that counts its bytes"));
        request.setAttribute(RequestDispatcher.ERROR_REQUEST_URI, "/v2x/models");
        body(controller.error(request), 400, "incomplete-body");
    }

    @Test
    void errorAskedForByNameIsNotFound() {
        body(controller.error(new MockHttpServletRequest("GET", "/error")), 404, "not-found");
    }

    private static MockHttpServletRequest errorDispatch(int status, Throwable error, String message) {
        MockHttpServletRequest request = new MockHttpServletRequest("POST", "/error");
        request.setAttribute(RequestDispatcher.ERROR_STATUS_CODE, status);
        request.setAttribute(RequestDispatcher.ERROR_MESSAGE, message);
        request.setAttribute(RequestDispatcher.ERROR_REQUEST_URI, "/v1/datasets");
        if (error != null) {
            request.setAttribute(RequestDispatcher.ERROR_EXCEPTION, error);
        }
        return request;
    }

    private static ProblemDetail body(ResponseEntity<?> response, int status, String type) {
        assertThat(response.getStatusCode().value()).isEqualTo(status);
        assertThat(response.getHeaders().getContentType()).hasToString("application/problem+json");
        assertThat(response.getBody()).isInstanceOf(ProblemDetail.class);
        ProblemDetail problem = (ProblemDetail) response.getBody();
        assertThat(problem.getType()).hasToString(ProblemHandler.TYPE_BASE + type);
        assertThat(problem.getStatus()).isEqualTo(status);
        assertThat(problem.getDetail()).isNotBlank();
        return problem;
    }
}
