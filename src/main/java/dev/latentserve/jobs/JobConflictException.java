package dev.latentserve.jobs;

/** The job is in a state that does not allow the operation, e.g. cancelling a finished job (HTTP 409). */
public class JobConflictException extends RuntimeException {

    public JobConflictException(String message) {
        super(message);
    }
}
