package dev.latentserve.registry;

import dev.latentserve.api.ProblemException;
import org.springframework.http.HttpStatus;

/**
 * The held-out dataset of an import cannot be scored (HTTP 422): it does not exist, its images have another shape than
 * the model's, or the model declares nothing to score with. Nothing is published.
 */
public class InvalidTestSetException extends ProblemException {

    public InvalidTestSetException(String message) {
        super(HttpStatus.UNPROCESSABLE_CONTENT, "invalid-test-dataset", "Unusable test dataset", message);
    }
}
