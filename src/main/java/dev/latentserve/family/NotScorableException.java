package dev.latentserve.family;

import dev.latentserve.api.ProblemException;
import org.springframework.http.HttpStatus;

/** A score asked of a model that declares nothing to compute it with, such as an imported VAE without a likelihood. */
public class NotScorableException extends ProblemException {

    public NotScorableException(String message) {
        super(HttpStatus.UNPROCESSABLE_CONTENT, "not-scorable", "The model cannot score images", message);
    }
}
