package dev.latentserve.datasets;

/** No dataset has this id (HTTP 404). */
public class DatasetNotFoundException extends RuntimeException {

    public DatasetNotFoundException(String id) {
        super("no dataset with id '" + id + "'; GET /v1/datasets lists them");
    }
}
