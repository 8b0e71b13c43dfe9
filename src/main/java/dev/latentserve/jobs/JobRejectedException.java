package dev.latentserve.jobs;

import dev.latentserve.api.ProblemException;
import org.springframework.http.HttpStatus;

/** The request is well formed but cannot run: unknown dataset or family, batch larger than the data (HTTP 422). */
public class JobRejectedException extends ProblemException {

    public JobRejectedException(String message) {
        super(HttpStatus.UNPROCESSABLE_CONTENT, "invalid-job", "Job cannot run", message);
    }
}
