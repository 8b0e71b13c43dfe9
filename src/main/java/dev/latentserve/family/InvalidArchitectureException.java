package dev.latentserve.family;

import dev.latentserve.api.ProblemException;
import org.springframework.http.HttpStatus;

/** An architecture that cannot be built for the given input shape (HTTP 422). */
public class InvalidArchitectureException extends ProblemException {

    public InvalidArchitectureException(String message) {
        super(HttpStatus.UNPROCESSABLE_CONTENT, "invalid-architecture", "Architecture does not fit", message);
    }
}
