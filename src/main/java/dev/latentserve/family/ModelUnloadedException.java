package dev.latentserve.family;

/**
 * A request reached a model version after it was unloaded, which happens when the version is deleted while the
 * request waits in its queue (HTTP 404: the version is gone).
 */
public class ModelUnloadedException extends RuntimeException {

    public ModelUnloadedException(String message) {
        super(message);
    }
}
