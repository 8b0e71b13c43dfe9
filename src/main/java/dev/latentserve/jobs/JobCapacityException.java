package dev.latentserve.jobs;

import dev.latentserve.api.ProblemException;
import org.springframework.http.HttpStatus;

/** Too many jobs queued or running on this worker (HTTP 429 with Retry-After). */
public class JobCapacityException extends ProblemException {

    private final int retryAfterSeconds;

    public JobCapacityException(String message, int retryAfterSeconds) {
        super(HttpStatus.TOO_MANY_REQUESTS, "too-many-jobs", "Too many jobs", message);
        this.retryAfterSeconds = retryAfterSeconds;
    }

    @Override
    public Integer retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
