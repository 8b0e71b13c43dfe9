package dev.latentserve.datasets;

import dev.latentserve.api.ProblemException;
import org.springframework.http.HttpStatus;

/** A dataset with this id exists already (HTTP 409). */
public class DatasetConflictException extends ProblemException {

    public DatasetConflictException(String message) {
        super(HttpStatus.CONFLICT, "conflict", "Conflicts with the current state", message);
    }
}
