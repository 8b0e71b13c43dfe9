package dev.latentserve.api;

import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpStatus;

/**
 * An error that knows its RFC 9457 problem: the status, the {@code type} (the slug after
 * {@value ProblemHandler#TYPE_BASE}) and the title; its message is the problem's {@code detail}. {@link ProblemHandler}
 * answers every one alike, so a feature adds a kind of problem by adding an exception, without touching this package.
 */
public abstract class ProblemException extends RuntimeException {

    private final HttpStatus status;
    private final String type;
    private final String title;

    protected ProblemException(HttpStatus status, String type, String title, String detail) {
        super(detail);
        this.status = status;
        this.type = type;
        this.title = title;
    }

    /** A problem of one of a feature's kinds, with {@code detail} saying what to fix. */
    protected ProblemException(ProblemKind kind, String detail) {
        this(kind.status(), kind.type(), kind.title(), detail);
    }

    /** {@link RuntimeException}'s constructor of the same form, for exceptions thrown too often to record a stack trace. */
    protected ProblemException(HttpStatus status, String type, String title, String detail, @Nullable Throwable cause,
            boolean enableSuppression, boolean writableStackTrace) {
        super(detail, cause, enableSuppression, writableStackTrace);
        this.status = status;
        this.type = type;
        this.title = title;
    }

    public HttpStatus status() {
        return status;
    }

    /** The problem type's slug, e.g. {@code model-not-found}. */
    public String type() {
        return type;
    }

    public String title() {
        return title;
    }

    /** Seconds after which a retry may succeed, sent as Retry-After; null when retrying the same request would not help. */
    public @Nullable Integer retryAfterSeconds() {
        return null;
    }
}
