package dev.latentserve.api;

import java.io.IOException;
import java.io.Writer;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;
import org.apache.coyote.ActionCode;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import tools.jackson.databind.json.JsonMapper;

/**
 * Tomcat's last word on an error nothing else answered, as a problem instead of its HTML page. Requests its HTTP
 * parser refuses (headers over the size limit, two Content-Length headers, a raw non-ASCII byte in the request line)
 * never reach the application or its error dispatch: Tomcat drops the path of a request in error before mapping it,
 * so no context is found and only this valve on the host can write a body. Installed by
 * {@link ProblemReportValveInstaller}.
 */
final class ProblemReportValve extends ErrorReportValve {

    private final ObjectProvider<JsonMapper> json;

    ProblemReportValve(ObjectProvider<JsonMapper> json) {
        this.json = json;
        setShowReport(false);
        setShowServerInfo(false);
    }

    @Override
    protected void report(Request request, Response response, @Nullable Throwable throwable) {
        // ErrorReportValve's own guards: an error status, nothing written yet, reported once, the connection still usable.
        if (response.getStatus() < 400 || response.getContentWritten() > 0 || !response.setErrorReported()) {
            return;
        }
        AtomicBoolean ioAllowed = new AtomicBoolean(false);
        response.getCoyoteResponse().action(ActionCode.IS_IO_ALLOWED, ioAllowed);
        if (!ioAllowed.get()) {
            return;
        }
        ResponseEntity<ProblemDetail> problem = ContainerProblems.describe(response.getStatus(), throwable,
                message(response, throwable), request);
        try {
            if (problem.getStatusCode().value() != response.getStatus()) {
                // Tomcat closes the connection after a parse error, but announces it only for the status it chose (400).
                response.setHeader("Connection", "close");
            }
            response.setStatus(problem.getStatusCode().value());
            boolean protocol = ProblemWriter.isOpenInferenceProtocol(request, request.getRequestURI());
            response.setContentType(protocol ? MediaType.APPLICATION_JSON_VALUE : MediaType.APPLICATION_PROBLEM_JSON_VALUE);
            response.setCharacterEncoding("UTF-8");
            Writer writer = response.getReporter();
            if (writer != null) {
                writer.write(json.getObject().writeValueAsString(protocol ? ProblemWriter.asProtocolError(problem).getBody()
                        : problem.getBody()));
                response.finishResponse();
            }
        } catch (IOException | IllegalStateException clientGone) {
            // The connection failed while answering: there is no one left to tell.
        }
    }

    /**
     * The message for the client: sendError's, else the first line of the parser's IllegalArgumentException, which
     * describes the request ("Invalid character found in the request target [...]"), never the server.
     */
    private static @Nullable String message(Response response, @Nullable Throwable throwable) {
        if (response.getMessage() != null && !response.getMessage().isBlank()) {
            return response.getMessage();
        }
        if (throwable instanceof IllegalArgumentException parse && response.getStatus() < 500 && parse.getMessage() != null) {
            return parse.getMessage().lines().findFirst().orElse(null);
        }
        return null;
    }
}
