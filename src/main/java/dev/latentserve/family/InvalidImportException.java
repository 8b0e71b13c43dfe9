package dev.latentserve.family;

import dev.latentserve.api.ProblemException;
import org.springframework.http.HttpStatus;

/**
 * A model version brought from outside that cannot be served as it is (HTTP 422, type {@code invalid-import}): a missing
 * or unreadable file, a descriptor field of the wrong form, or modules whose outputs do not have the shapes the descriptor
 * declares. The message names the file or field and, for shapes, what was seen against what was expected.
 */
public class InvalidImportException extends ProblemException {

    public InvalidImportException(String message) {
        super(HttpStatus.UNPROCESSABLE_CONTENT, "invalid-import", "The imported model cannot be served", message);
    }
}
