package dev.latentserve.nn;

import ai.djl.ndarray.NDArray;

/** How often each code was chosen over a whole dataset, for the codebook perplexity and the number of codes used. */
public final class CodeHistogram {

    private final double[] counts;

    public CodeHistogram(int codes) {
        counts = new double[codes];
    }

    /** Adds a batch's assignments, one-hot (M, K). */
    public void add(NDArray oneHot) {
        float[] batch = oneHot.sum(new int[] {0}).toFloatArray();
        for (int k = 0; k < counts.length; k++) {
            counts[k] += batch[k];
        }
    }

    /** exp(-sum p log p): K when every code is used equally often, 1 when one code takes everything. */
    public double perplexity() {
        double total = 0;
        for (double c : counts) {
            total += c;
        }
        double entropy = 0;
        for (double c : counts) {
            if (c > 0) {
                entropy -= c / total * Math.log(c / total);
            }
        }
        return Math.exp(entropy);
    }

    public int used() {
        int used = 0;
        for (double c : counts) {
            used += c > 0 ? 1 : 0;
        }
        return used;
    }
}
