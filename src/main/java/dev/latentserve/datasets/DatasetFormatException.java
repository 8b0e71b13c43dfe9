package dev.latentserve.datasets;

import dev.latentserve.api.ProblemException;
import dev.latentserve.api.ProblemKind;
import org.springframework.http.HttpStatus;

/** An upload whose bytes do not form a valid dataset; {@link Kind} picks the problem. */
public class DatasetFormatException extends ProblemException {

    /** What went wrong, in the terms of the problem response. */
    public enum Kind implements ProblemKind {
        /** Not a format we read at all. */
        UNSUPPORTED_FORMAT(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "unsupported-dataset-format", "Unsupported dataset format"),
        /** A known format with broken or inconsistent content. */
        MALFORMED(HttpStatus.UNPROCESSABLE_CONTENT, "invalid-dataset", "Invalid dataset"),
        /** More bytes or images than allowed, compressed or not. */
        TOO_LARGE(HttpStatus.CONTENT_TOO_LARGE, "dataset-too-large", "Dataset too large");

        private final Terms terms;

        Kind(HttpStatus status, String type, String title) {
            this.terms = new Terms(status, type, title);
        }

        @Override
        public Terms terms() {
            return terms;
        }
    }

    private final Kind kind;

    public DatasetFormatException(Kind kind, String message) {
        super(kind, message);
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
