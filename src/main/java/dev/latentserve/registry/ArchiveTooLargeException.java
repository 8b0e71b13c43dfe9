package dev.latentserve.registry;

import dev.latentserve.api.ProblemException;
import org.springframework.http.HttpStatus;

/** An archive that unpacks to more bytes or entries than {@code latentserve.registry.max-import-*} allow (HTTP 413). */
public class ArchiveTooLargeException extends ProblemException {

    public ArchiveTooLargeException(String message) {
        super(HttpStatus.CONTENT_TOO_LARGE, "archive-too-large", "Model archive too large", message);
    }
}
