package dev.latentserve.family;

import dev.latentserve.api.ProblemException;
import dev.latentserve.api.ProblemKind;
import org.springframework.http.HttpStatus;

/** Input that does not fit the model: wrong image size or channels, bad latents, bad counts (HTTP 422 or 400). */
public class InvalidInferenceInputException extends ProblemException {

    /** The kinds of problem, each with its own status, problem type and title. */
    public enum Kind implements ProblemKind {
        /** Images of the wrong size or channel count for the model. */
        IMAGE_SHAPE_MISMATCH(HttpStatus.UNPROCESSABLE_CONTENT, "image-shape-mismatch", "Image does not fit the model"),
        /** Bytes that are not a PNG/JPEG image, or pixels outside [0, 1]. */
        INVALID_IMAGE(HttpStatus.UNPROCESSABLE_CONTENT, "invalid-image", "Invalid image"),
        /** Latent vectors of the wrong length or with NaN/Inf. */
        INVALID_LATENT(HttpStatus.UNPROCESSABLE_CONTENT, "invalid-latent", "Invalid latent vector"),
        /** A count, temperature or batch size outside its allowed range. */
        OUT_OF_RANGE(HttpStatus.BAD_REQUEST, "out-of-range", "Value out of range"),
        /** Codes in a form no latent kind takes, such as a grid that is not a list of rows of integers. */
        MALFORMED_CODES(HttpStatus.BAD_REQUEST, "invalid-codes", "Malformed codes"),
        /** Input the model turns into NaN or infinite numbers, such as latents far outside the prior. */
        NON_FINITE_OUTPUT(HttpStatus.UNPROCESSABLE_CONTENT, "non-finite-output", "The model's output for this input is not finite");

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

    public InvalidInferenceInputException(Kind kind, String message) {
        super(kind, message);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
