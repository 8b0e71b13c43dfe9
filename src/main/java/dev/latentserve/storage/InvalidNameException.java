package dev.latentserve.storage;

/** A dataset or model name that cannot be used as a folder name (HTTP 400). */
public class InvalidNameException extends RuntimeException {

    public InvalidNameException(String message) {
        super(message);
    }
}
