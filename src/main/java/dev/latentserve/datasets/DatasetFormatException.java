package dev.latentserve.datasets;

import dev.latentserve.api.ProblemException;
import org.springframework.http.HttpStatus;

/** An upload whose bytes do not form a valid dataset; {@link Kind} picks the problem. */
public class DatasetFormatException extends ProblemException {

    /** What went wrong, in the terms of the problem response. */
    public enum Kind {
        /** Not a format we read at all. */
        UNSUPPORTED_FORMAT(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "unsupported-dataset-format", "Unsupported dataset format"),
        /** A known format with broken or inconsistent content. */
        MALFORMED(HttpStatus.UNPROCESSABLE_CONTENT, "invalid-dataset", "Invalid dataset"),
        /** More bytes or images than allowed, compressed or not. */
        TOO_LARGE(HttpStatus.CONTENT_TOO_LARGE, "dataset-too-large", "Dataset too large");

        private final HttpStatus status;
        private final String type;
        private final String title;

        Kind(HttpStatus status, String type, String title) {
            this.status = status;
            this.type = type;
            this.title = title;
        }
    }

    private final Kind kind;

    public DatasetFormatException(Kind kind, String message) {
        super(kind.status, kind.type, kind.title, message);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    static DatasetFormatException malformed(String message) {
        return new DatasetFormatException(Kind.MALFORMED, message);
    }

    static DatasetFormatException tooLarge(String message) {
        return new DatasetFormatException(Kind.TOO_LARGE, message);
    }
}
