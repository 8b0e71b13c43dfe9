package dev.latentserve.npy;

import dev.latentserve.api.ProblemException;
import dev.latentserve.api.ProblemKind;
import org.springframework.http.HttpStatus;

/** Bytes that are not a NumPy array this service reads; {@link Kind} picks the problem. */
public class NpyException extends ProblemException {

    /** What went wrong, in the terms of the problem response. */
    public enum Kind implements ProblemKind {
        /** Not an npy file or npz archive, or one whose header or data length is broken. */
        MALFORMED(HttpStatus.BAD_REQUEST, "invalid-npy", "Malformed NumPy array"),
        /** A well-formed array of a dtype that is not read here (complex, object, strings, or one the operation refuses). */
        UNSUPPORTED_DTYPE(HttpStatus.UNPROCESSABLE_CONTENT, "unsupported-npy-dtype", "Unsupported NumPy dtype"),
        /** An npz archive that unpacks to more entries or bytes than allowed. */
        TOO_LARGE(HttpStatus.CONTENT_TOO_LARGE, "npz-too-large", "NumPy archive too large");

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

    public NpyException(Kind kind, String message) {
        super(kind, message);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    static NpyException malformed(String message) {
        return new NpyException(Kind.MALFORMED, message);
    }
}
