package dev.latentserve.family;

/** Sampling asked of a model without a prior (HTTP 409: the model's state, not the request, is at fault). */
public class NoPriorException extends RuntimeException {

    public NoPriorException(String message) {
        super(message);
    }
}
