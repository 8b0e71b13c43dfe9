package dev.latentserve.registry;

import dev.latentserve.api.ProblemException;
import org.springframework.http.HttpStatus;

/** The model or version addressed does not exist (HTTP 404). */
public class ModelNotFoundException extends ProblemException {

    public ModelNotFoundException(String message) {
        super(HttpStatus.NOT_FOUND, "model-not-found", "Model not found", message);
    }
}
