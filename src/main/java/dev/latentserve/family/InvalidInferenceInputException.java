package dev.latentserve.family;

/** Input that does not fit the model: wrong image size or channels, bad latents, bad counts (HTTP 422 or 400). */
public class InvalidInferenceInputException extends RuntimeException {

    /** The kinds of problem, each with its own problem type. */
    public enum Kind {
        /** Images of the wrong size or channel count for the model (422). */
        IMAGE_SHAPE_MISMATCH,
        /** Bytes that are not a PNG/JPEG image, or pixels outside [0, 1] (422). */
        INVALID_IMAGE,
        /** Latent vectors of the wrong length or with NaN/Inf (422). */
        INVALID_LATENT,
        /** A count, temperature or batch size outside its allowed range (400). */
        OUT_OF_RANGE,
        /** Codes in a form no latent kind takes, such as a grid that is not a list of rows of integers (400). */
        MALFORMED_CODES,
        /** Input the model turns into NaN or infinite numbers, such as latents far outside the prior (422). */
        NON_FINITE_OUTPUT
    }

    private final Kind kind;

    public InvalidInferenceInputException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
