package dev.latentserve.nn;

import java.util.SplittableRandom;
import org.jspecify.annotations.Nullable;

/** Draws from softmax(logits / temperature) without a multinomial op, which DJL's PyTorch engine lacks. */
public final class Categorical {

    private Categorical() {
    }

    /**
     * Gumbel-max: argmax_k (l_k / T + g_k) with g_k = -log(-log u_k) is distributed as softmax(l / T). With
     * {@code topK}, only the k largest logits compete.
     *
     * @param logits logits of many rows; the row used starts at {@code offset} and has {@code size} entries
     */
    public static int gumbelMax(float[] logits, int offset, int size, double temperature, @Nullable Integer topK,
            SplittableRandom random) {
        double threshold = Double.NEGATIVE_INFINITY;
        if (topK != null && topK < size) {
            float[] sorted = java.util.Arrays.copyOfRange(logits, offset, offset + size);
            java.util.Arrays.sort(sorted);
            threshold = sorted[size - topK];
        }
        int best = -1;
        double bestScore = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < size; k++) {
            double u = random.nextDouble();
            if (logits[offset + k] < threshold) {
                continue;
            }
            double gumbel = -Math.log(-Math.log(Math.max(u, Double.MIN_NORMAL)));
            double score = logits[offset + k] / temperature + gumbel;
            if (score > bestScore) {
                bestScore = score;
                best = k;
            }
        }
        return best;
    }
}
