package dev.latentserve.family;

/** An architecture that cannot be built for the given input shape (HTTP 422). */
public class InvalidArchitectureException extends RuntimeException {

    public InvalidArchitectureException(String message) {
        super(message);
    }
}
