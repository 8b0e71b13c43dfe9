package dev.latentserve.storage;

import dev.latentserve.api.ProblemException;
import org.springframework.http.HttpStatus;

/** A dataset or model name that cannot be used as a folder name (HTTP 400). */
public class InvalidNameException extends ProblemException {

    public InvalidNameException(String message) {
        super(HttpStatus.BAD_REQUEST, "invalid-name", "Invalid name", message);
    }
}
