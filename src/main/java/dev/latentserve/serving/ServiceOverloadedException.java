package dev.latentserve.serving;

/** A model's queue is full, or a request ran out of time (HTTP 503 with Retry-After). */
public class ServiceOverloadedException extends RuntimeException {

    /** Why the request was turned away, for the problem type and the rejection metric. */
    public enum Reason {
        QUEUE_FULL("overloaded"), TIMEOUT("inference-timeout");

        private final String type;

        Reason(String type) {
            this.type = type;
        }

        public String type() {
            return type;
        }
    }

    private final Reason reason;
    private final int retryAfterSeconds;

    public ServiceOverloadedException(Reason reason, String message, int retryAfterSeconds) {
        super(message);
        this.reason = reason;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public Reason reason() {
        return reason;
    }

    public int retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
