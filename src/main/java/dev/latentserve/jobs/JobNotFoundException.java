package dev.latentserve.jobs;

import dev.latentserve.api.ProblemException;
import org.springframework.http.HttpStatus;

/** No job has this id (HTTP 404). */
public class JobNotFoundException extends ProblemException {

    public JobNotFoundException(String id) {
        super(HttpStatus.NOT_FOUND, "job-not-found", "Job not found", "no job with id '" + id + "'; GET /v1/jobs lists them");
    }
}
