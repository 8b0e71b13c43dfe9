package dev.latentserve.oip;

import dev.latentserve.api.ProblemException;
import org.springframework.http.HttpStatus;

/** A request the protocol calls bad: malformed JSON, a tensor whose shape, datatype, size or values are wrong (400). */
class InvalidTensorException extends ProblemException {

    InvalidTensorException(String detail) {
        super(HttpStatus.BAD_REQUEST, "invalid-tensor", "Invalid tensor", detail);
    }
}
