package dev.latentserve.datasets;

import dev.latentserve.api.ProblemException;
import org.springframework.http.HttpStatus;

/** No dataset has this id (HTTP 404). */
public class DatasetNotFoundException extends ProblemException {

    public DatasetNotFoundException(String id) {
        super(HttpStatus.NOT_FOUND, "dataset-not-found", "Dataset not found",
                "no dataset with id '" + id + "'; GET /v1/datasets lists them");
    }
}
