package dev.latentserve.datasets;

/** An upload whose bytes do not form a valid dataset; {@link Kind} picks the HTTP status. */
public class DatasetFormatException extends RuntimeException {

    /** What went wrong, in the terms of the problem response. */
    public enum Kind {
        /** Not a format we read at all (HTTP 415). */
        UNSUPPORTED_FORMAT,
        /** A known format with broken or inconsistent content (HTTP 422). */
        MALFORMED,
        /** More bytes or images than allowed, compressed or not (HTTP 413). */
        TOO_LARGE
    }

    private final Kind kind;

    public DatasetFormatException(Kind kind, String message) {
        super(message);
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
