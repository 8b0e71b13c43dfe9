package dev.latentserve.serving;

import dev.latentserve.api.ProblemException;
import org.springframework.http.HttpStatus;

/** A model's queue is full, a request ran out of time, or the server is stopping (HTTP 503 with Retry-After). */
public class ServiceOverloadedException extends ProblemException {

    /** Why the request was turned away, for the problem type and the rejection metric. */
    public enum Reason {
        QUEUE_FULL("overloaded", "Model is busy"),
        TIMEOUT("inference-timeout", "Request timed out"),
        SHUTTING_DOWN("shutting-down", "Server is stopping"),
        /** Not an answer anyone sees: the client went away and its queued work was dropped. Counted only. */
        CLIENT_GONE("client-gone", "Client went away");

        private final String type;
        private final String title;

        Reason(String type, String title) {
            this.type = type;
            this.title = title;
        }

        public String type() {
            return type;
        }

        public String title() {
            return title;
        }
    }

    private final Reason reason;
    private final int retryAfterSeconds;

    public ServiceOverloadedException(Reason reason, String message, int retryAfterSeconds) {
        // No stack trace: under overload hundreds are thrown a second by design, and the reason says it all.
        super(HttpStatus.SERVICE_UNAVAILABLE, reason.type(), reason.title(), message, null, false, false);
        this.reason = reason;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public Reason reason() {
        return reason;
    }

    @Override
    public Integer retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
