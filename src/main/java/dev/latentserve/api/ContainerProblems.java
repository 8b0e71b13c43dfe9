package dev.latentserve.api;

import jakarta.servlet.http.HttpServletRequest;
import java.io.EOFException;
import java.net.SocketTimeoutException;
import java.util.Collections;
import java.util.List;
import org.apache.catalina.connector.Request;
import org.apache.coyote.http11.AbstractHttp11Protocol;
import org.apache.tomcat.util.res.StringManager;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;

/**
 * Problems for errors Tomcat raises itself, outside Spring MVC: a request it could not parse (answered by
 * {@link ProblemReportValve}) and a request body it could not read (answered through the error dispatch to
 * {@link ErrorProblemController}). The exception Tomcat recorded only picks the kind of problem; its text reaches the
 * client only where the caller passes it as {@code message}.
 */
final class ContainerProblems {

    /** Tomcat's text for headers over {@code maxHttpRequestHeaderSize}; it answers 400 and records only this message. */
    private static final String HEADER_TOO_LARGE = StringManager.getManager("org.apache.coyote.http11")
            .getString("iib.requestheadertoolarge.error");
    private static final String INVALID_TARGET = prefix(StringManager.getManager("org.apache.coyote.http11")
            .getString("iib.invalidRequestTarget"));

    private ContainerProblems() {
    }

    /**
     * The problem for a container error: its status, the exception it recorded (if any) and a message fit for the
     * client (if any).
     */
    static ResponseEntity<ProblemDetail> describe(int status, @Nullable Throwable error, @Nullable String message,
            HttpServletRequest request) {
        ResponseEntity<ProblemDetail> bodyRead = bodyReadFailure(error, request);
        if (bodyRead != null && (status == 400 || status == 408)) {
            return bodyRead;
        }
        if (status == 408) {
            return timeout(request);
        }
        if (error instanceof IllegalArgumentException && HEADER_TOO_LARGE.equals(error.getMessage())) {
            // 431 (RFC 6585) says what Tomcat's 400 does not; the response is not committed yet, so the status can change.
            return ProblemHandler.problem(HttpStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "request-header-too-large",
                    "Request headers too large", "the request line and headers are larger than the " + headerLimit(request)
                            + " this server accepts (server.max-http-request-header-size); send fewer or shorter headers "
                            + "(a long Accept or Cookie header is the usual cause)", request);
        }
        if (message != null && message.startsWith(INVALID_TARGET)) {
            return ProblemHandler.problem(HttpStatus.BAD_REQUEST, "invalid-request-target", "Invalid request target",
                    message + "; percent-encode such bytes in the path and query as UTF-8, e.g. ?name=%C3%A4 for ?name=ä",
                    request);
        }
        List<String> lengths = Collections.list(request.getHeaders("Content-Length"));
        if (status == 400 && error == null && lengths.size() > 1) {
            // Tomcat refuses these (request smuggling) without a message or an exception: the headers say it.
            return ProblemHandler.problem(HttpStatus.BAD_REQUEST, "invalid-content-length", "Invalid Content-Length",
                    "the request has " + lengths.size() + " Content-Length headers (" + String.join(", ", lengths)
                            + "); send exactly one, the number of bytes in the body", request);
        }
        HttpStatus known = HttpStatus.resolve(status);
        HttpStatus resolved = known == null ? HttpStatus.INTERNAL_SERVER_ERROR : known;
        if (resolved == HttpStatus.INTERNAL_SERVER_ERROR) {
            return ProblemHandler.problem(resolved, "internal-error", "Internal error",
                    "the server failed to handle this request; the log has the details", request);
        }
        String detail = message != null && !message.isBlank() ? message
                : "the server could not accept this request (" + resolved.value() + " " + resolved.getReasonPhrase()
                        + "); check the request line, the headers and that the body matches its Content-Length";
        return ProblemHandler.problem(resolved, ProblemHandler.slug(resolved), resolved.getReasonPhrase(), detail, request);
    }

    /**
     * A failed read of the request body: the client sent less than it declared and closed its side (400), or stopped
     * sending (408); null when {@code error} is anything else. Tomcat raises these as an EOFException or a
     * SocketTimeoutException, wrapped in a ClientAbortException when the application was reading.
     */
    static @Nullable ResponseEntity<ProblemDetail> bodyReadFailure(@Nullable Throwable error, HttpServletRequest request) {
        for (Throwable cause = error; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            if (cause instanceof EOFException) {
                long declared = request.getContentLengthLong();
                String detail = declared >= 0
                        ? "the request body ended before its Content-Length: the connection closed before all " + declared
                                + " bytes it declared arrived; send the whole body, with a Content-Length that counts its bytes"
                        : "the request body ended before its last chunk: the connection closed mid-body; send the whole body";
                return ProblemHandler.problem(HttpStatus.BAD_REQUEST, "incomplete-body", "Request body incomplete", detail,
                        request);
            }
            if (cause instanceof SocketTimeoutException) {
                return timeout(request);
            }
        }
        return null;
    }

    private static ResponseEntity<ProblemDetail> timeout(HttpServletRequest request) {
        return ProblemHandler.problem(HttpStatus.REQUEST_TIMEOUT, "request-timeout", "Request timeout",
                "the request body stopped arriving for longer than this server waits (server.tomcat.connection-timeout); "
                        + "send the whole body without pauses, with a Content-Length that counts its bytes", request);
    }

    /** The connector's header limit in words; the valve sees Tomcat's own request, the error dispatch a wrapper. */
    private static String headerLimit(HttpServletRequest request) {
        if (request instanceof Request tomcat && tomcat.getConnector() != null
                && tomcat.getConnector().getProtocolHandler() instanceof AbstractHttp11Protocol<?> http) {
            int bytes = http.getMaxHttpRequestHeaderSize();
            return bytes % 1024 == 0 ? bytes / 1024 + " KB" : bytes + " bytes";
        }
        return "size";
    }

    /** The constant text of a Tomcat message before its first argument. */
    private static String prefix(String pattern) {
        int argument = pattern.indexOf('{');
        return argument < 0 ? pattern : pattern.substring(0, argument);
    }
}
