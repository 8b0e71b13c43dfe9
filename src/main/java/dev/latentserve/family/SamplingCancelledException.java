package dev.latentserve.family;

/**
 * Thrown out of {@link RasterSampling} when every request of its batch was cancelled ({@link SamplingWatch#cancelled()}):
 * nobody waits for the codes, so the loop ends between two positions instead of drawing the rest.
 */
public class SamplingCancelledException extends RuntimeException {

    public SamplingCancelledException(String level, int position) {
        // No stack trace: it ends a loop on purpose, and the message says where.
        super("every request was cancelled; sampling stopped at position " + position + " of level " + level, null, false, false);
    }
}
