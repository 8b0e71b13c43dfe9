package dev.latentserve.npy;

import dev.latentserve.api.ProblemException;
import org.springframework.http.HttpStatus;

/** Bytes that are not a NumPy array this service reads; {@link Kind} picks the problem. */
public class NpyException extends ProblemException {

    /** What went wrong, in the terms of the problem response. */
    public enum Kind {
        /** Not an npy file or npz archive, or one whose header or data length is broken. */
        MALFORMED(HttpStatus.BAD_REQUEST, "invalid-npy", "Malformed NumPy array"),
        /** A well-formed array of a dtype that is not read here (complex, object, strings, or one the operation refuses). */
        UNSUPPORTED_DTYPE(HttpStatus.UNPROCESSABLE_CONTENT, "unsupported-npy-dtype", "Unsupported NumPy dtype"),
        /** An npz archive that unpacks to more entries or bytes than allowed. */
        TOO_LARGE(HttpStatus.CONTENT_TOO_LARGE, "npz-too-large", "NumPy archive too large");

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

    public NpyException(Kind kind, String message) {
        super(kind.status, kind.type, kind.title, message);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    static NpyException malformed(String message) {
        return new NpyException(Kind.MALFORMED, message);
    }
}
