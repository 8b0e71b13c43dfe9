package dev.latentserve.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.EOFException;
import java.io.IOException;
import org.apache.catalina.connector.ClientAbortException;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.http.converter.HttpMessageNotWritableException;
import org.springframework.mock.http.MockHttpInputMessage;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.web.context.request.ServletWebRequest;

/**
 * Features' problems answered from the exception alone; clients that go away or send less than they declared are
 * routine, anything else is still warned.
 */
@ExtendWith(OutputCaptureExtension.class)
class ProblemHandlerTests {

    private final ProblemHandler handler = new ProblemHandler(
            new DefaultListableBeanFactory().getBeanProvider(RequestMappingHandlerMapping.class));

    @Test
    void aClientThatHungUpMidResponseIsNotAWarning(CapturedOutput output) {
        var gone = new HttpMessageNotWritableException("Could not write JSON", new ClientAbortException(new IOException("Broken pipe")));
        assertThat(handler.handleExceptionInternal(gone, null, new HttpHeaders(), HttpStatus.INTERNAL_SERVER_ERROR,
                committedRequest())).isNull();
        assertThat(output).doesNotContain("Response already committed");
    }

    @Test
    void otherFailuresOnACommittedResponseAreStillWarned(CapturedOutput output) {
        var broken = new HttpMessageNotWritableException("Could not write JSON: no serializer for type X");
        assertThat(handler.handleExceptionInternal(broken, null, new HttpHeaders(), HttpStatus.INTERNAL_SERVER_ERROR,
                committedRequest())).isNull();
        assertThat(output).contains("Response already committed");
    }

    @Test
    void aRequestBodyCutShortIsTheClientsFaultNotAnUnexpectedError(CapturedOutput output) {
        MockHttpServletRequest request = new MockHttpServletRequest("POST", "/v1/datasets");
        request.setContent(new byte[1000]); // what it declared: the mock answers getContentLengthLong() with this
        var response = handler.unexpected(new ClientAbortException(new EOFException("Unexpected EOF read on the socket")), request);
        assertThat(response).isNotNull();
        assertThat(response.getStatusCode()).isEqualTo(HttpStatus.BAD_REQUEST);
        assertThat(response.getBody().getType()).hasToString(ProblemHandler.TYPE_BASE + "incomplete-body");
        assertThat(response.getBody().getDetail()).contains("Content-Length", "1000");
        assertThat(output).doesNotContain("unexpected error").doesNotContain("ERROR");
    }

    @Test
    void aProblemCarriesItsOwnStatusTypeTitleAndRetryAfter() {
        var response = handler.described(new Busy("the queue is full; retry shortly"),
                new MockHttpServletRequest("POST", "/v1/models/m/sample"));
        assertThat(response.getStatusCode()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
        assertThat(response.getHeaders().getFirst(HttpHeaders.RETRY_AFTER)).isEqualTo("7");
        assertThat(response.getHeaders().getContentType()).isEqualTo(MediaType.APPLICATION_PROBLEM_JSON);
        assertThat(response.getBody().getType()).hasToString(ProblemHandler.TYPE_BASE + "busy");
        assertThat(response.getBody().getTitle()).isEqualTo("Busy");
        assertThat(response.getBody().getDetail()).isEqualTo("the queue is full; retry shortly");
        assertThat(response.getBody().getInstance()).hasToString("/v1/models/m/sample");
    }

    @Test
    void aProblemRaisedByTheBodysStreamIsFoundAmongTheCausesOfAnUnreadableBody() {
        // As RequestSizeFilter's stream fails: an IOException whose cause is the problem.
        var unreadable = new HttpMessageNotReadableException("I/O error while reading input message",
                new IOException("too large", new Busy("too large")), new MockHttpInputMessage(new byte[0]));
        var response = handler.handleHttpMessageNotReadable(unreadable, new HttpHeaders(), HttpStatus.BAD_REQUEST,
                new ServletWebRequest(new MockHttpServletRequest("POST", "/v1/models/m/decode")));
        assertThat(response).isNotNull();
        assertThat(response.getStatusCode()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
        assertThat(response.getHeaders().getFirst(HttpHeaders.RETRY_AFTER)).isEqualTo("7");
        assertThat(response.getBody()).isInstanceOfSatisfying(ProblemDetail.class,
                problem -> assertThat(problem.getType()).hasToString(ProblemHandler.TYPE_BASE + "busy"));
    }

    /** A problem of some feature's, with a Retry-After. */
    private static final class Busy extends ProblemException {
        Busy(String detail) {
            super(HttpStatus.SERVICE_UNAVAILABLE, "busy", "Busy", detail);
        }

        @Override
        public Integer retryAfterSeconds() {
            return 7;
        }
    }

    private static ServletWebRequest committedRequest() {
        MockHttpServletResponse response = new MockHttpServletResponse();
        response.setCommitted(true);
        return new ServletWebRequest(new MockHttpServletRequest("POST", "/v1/models/m/sample"), response);
    }
}
