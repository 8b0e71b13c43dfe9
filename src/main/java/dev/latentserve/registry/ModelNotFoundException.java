package dev.latentserve.registry;

/** The model or version addressed does not exist (HTTP 404). */
public class ModelNotFoundException extends RuntimeException {

    public ModelNotFoundException(String message) {
        super(message);
    }
}
