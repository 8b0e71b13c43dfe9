package dev.latentserve.jobs;

import dev.latentserve.api.ProblemException;
import org.springframework.http.HttpStatus;

/** The job is in a state that does not allow the operation, e.g. cancelling a finished job (HTTP 409). */
public class JobConflictException extends ProblemException {

    public JobConflictException(String message) {
        super(HttpStatus.CONFLICT, "conflict", "Conflicts with the current state", message);
    }
}
