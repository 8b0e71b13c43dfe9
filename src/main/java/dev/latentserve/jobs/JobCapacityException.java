package dev.latentserve.jobs;

/** Too many jobs queued or running on this worker (HTTP 429 with Retry-After). */
public class JobCapacityException extends RuntimeException {

    private final int retryAfterSeconds;

    public JobCapacityException(String message, int retryAfterSeconds) {
        super(message);
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public int retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
