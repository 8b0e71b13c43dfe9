package dev.latentserve.datasets;

/** A dataset with this id exists already (HTTP 409). */
public class DatasetConflictException extends RuntimeException {

    public DatasetConflictException(String message) {
        super(message);
    }
}
