package dev.latentserve.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Compares per-row results of a batched engine call with the same request run alone. Matrix products over a
 * different batch size may sum in another order (seen: 1.2e-6 on a latent of 3.5, a few float32 ulps), so floats are
 * compared to 1e-5, not bit for bit; a wrong slice or another request's noise would be off by far more.
 */
public final class Rows {

    public static final float TOLERANCE = 1e-5f;

    private Rows() {
    }

    public static void assertClose(float[][] batched, float[][] alone) {
        assertThat(batched).hasNumberOfRows(alone.length);
        for (int i = 0; i < alone.length; i++) {
            assertThat(batched[i]).as("row %d", i).containsExactly(alone[i], within(TOLERANCE));
        }
    }
}
