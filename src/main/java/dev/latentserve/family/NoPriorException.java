package dev.latentserve.family;

import dev.latentserve.api.ProblemException;
import org.springframework.http.HttpStatus;

/** Sampling asked of a model without a prior (HTTP 409: the model's state, not the request, is at fault). */
public class NoPriorException extends ProblemException {

    public NoPriorException(String message) {
        super(HttpStatus.CONFLICT, "no-prior", "The model has no prior", message);
    }
}
