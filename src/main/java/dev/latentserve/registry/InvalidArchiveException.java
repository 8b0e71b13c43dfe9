package dev.latentserve.registry;

import dev.latentserve.api.ProblemException;
import org.springframework.http.HttpStatus;

/**
 * An uploaded model archive or set of files that cannot become a version: not a zip, an unsafe or unknown entry, a
 * checksum that does not match, a manifest or family this server cannot read (HTTP 422).
 */
public class InvalidArchiveException extends ProblemException {

    public InvalidArchiveException(String message) {
        super(HttpStatus.UNPROCESSABLE_CONTENT, "invalid-archive", "Invalid model archive", message);
    }
}
