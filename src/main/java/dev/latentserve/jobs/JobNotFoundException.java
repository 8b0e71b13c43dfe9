package dev.latentserve.jobs;

/** No job has this id (HTTP 404). */
public class JobNotFoundException extends RuntimeException {

    public JobNotFoundException(String id) {
        super("no job with id '" + id + "'; GET /v1/jobs lists them");
    }
}
