package dev.latentserve.api;

import org.springframework.http.HttpStatus;

/** A request that cannot be parsed, e.g. a part that is not base64 (HTTP 400), with the problem type the caller names. */
public class BadRequestException extends ProblemException {

    public BadRequestException(String type, String title, String detail) {
        super(HttpStatus.BAD_REQUEST, type, title, detail);
    }
}
