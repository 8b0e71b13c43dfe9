package dev.latentserve.family;

import dev.latentserve.api.ProblemException;
import org.springframework.http.HttpStatus;

/**
 * A request reached a model version after it was unloaded, which happens when the version is deleted while the
 * request waits in its queue (HTTP 404: the version is gone, the same problem as a version never published).
 */
public class ModelUnloadedException extends ProblemException {

    public ModelUnloadedException(String message) {
        super(HttpStatus.NOT_FOUND, "model-not-found", "Model not found", message);
    }
}
