package dev.latentserve.jobs;

/** The request is well formed but cannot run: unknown dataset or family, batch larger than the data (HTTP 422). */
public class JobRejectedException extends RuntimeException {

    public JobRejectedException(String message) {
        super(message);
    }
}
