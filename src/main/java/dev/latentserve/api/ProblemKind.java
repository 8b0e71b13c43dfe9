package dev.latentserve.api;

import org.springframework.http.HttpStatus;

/**
 * One kind of a feature's problem: its status, {@code type} slug and title. Exceptions that raise several kinds (a
 * malformed upload, one too large, ...) list them as an enum implementing this, and pass the kind to
 * {@link ProblemException}; each constant stores only its {@link Terms}.
 */
public interface ProblemKind {

    /** The status, type and title of this kind. */
    Terms terms();

    default HttpStatus status() {
        return terms().status();
    }

    /** The problem type's slug, e.g. {@code invalid-npy}. */
    default String type() {
        return terms().type();
    }

    default String title() {
        return terms().title();
    }

    /** What a problem of a kind says besides its detail, in the terms of the problem response. */
    record Terms(HttpStatus status, String type, String title) {
    }
}
