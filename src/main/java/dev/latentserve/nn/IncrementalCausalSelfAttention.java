package dev.latentserve.nn;

/**
 * One {@link CausalSelfAttention} block for incremental generation: the keys and values of earlier positions are
 * kept (a key-value cache), and each new position computes only its own query, key and value and attends from its
 * query over the positions so far, itself included, which is what the full pass's causal mask leaves of its row.
 * Weights are copied into Java arrays; sums are accumulated in double and rounded to float where the full pass's
 * operators round.
 */
final class IncrementalCausalSelfAttention {

    private final int channels;
    private final int heads;
    private final int headSize;
    private final int gridHeight;
    private final int gridWidth;
    private final float scale;
    private final Affine projection;
    private final Affine output;

    /** One sample's cache: keys and values of every position so far, and scratch arrays. */
    static final class Cache {

        final float[] keys;
        final float[] values;
        final float[] input;
        final float[] qkv;
        final double[] logits;
        final float[] attended;
        final float[] out;

        Cache(int channels, int positions) {
            this.keys = new float[positions * channels];
            this.values = new float[positions * channels];
            this.input = new float[channels + 2];
            this.qkv = new float[3 * channels];
            this.logits = new double[positions];
            this.attended = new float[channels];
            this.out = new float[channels];
        }
    }

    IncrementalCausalSelfAttention(CausalSelfAttention block) {
        this.channels = block.channels;
        this.heads = block.heads;
        this.headSize = channels / heads;
        this.gridHeight = block.gridHeight;
        this.gridWidth = block.gridWidth;
        // The full pass divides by a float scalar made from sqrt(d) (Scoped.scalar).
        this.scale = (float) Math.sqrt(headSize);
        this.projection = Affine.of(block.projectionWeight, block.projectionBias, null);
        this.output = Affine.of(block.outputWeight, block.outputBias, null);
    }

    Cache cache(int positions) {
        return new Cache(channels, positions);
    }

    /**
     * x + W_o attention(q_p, K_0..p, V_0..p) at raster position {@code position} = (row, column), in place; the
     * position's key and value join the cache. Positions must come in raster order, each once.
     *
     * @param x features, channels-last; this position's C values start at {@code from}
     */
    void at(float[] x, int from, int row, int column, int position, Cache cache, double[] sums) {
        System.arraycopy(x, from, cache.input, 0, channels);
        // The coordinates PixelSNAIL concatenates, in float as CausalSelfAttention computes them.
        cache.input[channels] = (float) row / gridHeight - 0.5f;
        cache.input[channels + 1] = (float) column / gridWidth - 0.5f;
        projection.apply(cache.input, 0, sums, cache.qkv, 0);
        System.arraycopy(cache.qkv, channels, cache.keys, position * channels, channels);
        System.arraycopy(cache.qkv, 2 * channels, cache.values, position * channels, channels);
        for (int head = 0; head < heads; head++) {
            int offset = head * headSize;
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j <= position; j++) {
                double dot = 0;
                for (int d = 0; d < headSize; d++) {
                    dot += (double) cache.qkv[offset + d] * cache.keys[j * channels + offset + d];
                }
                float logit = (float) dot / scale;
                cache.logits[j] = logit;
                max = Math.max(max, logit);
            }
            double total = 0;
            for (int j = 0; j <= position; j++) {
                cache.logits[j] = Math.exp(cache.logits[j] - max);
                total += cache.logits[j];
            }
            for (int d = 0; d < headSize; d++) {
                double sum = 0;
                for (int j = 0; j <= position; j++) {
                    // Softmax weights are rounded to float, as the full pass holds them before its product with V.
                    sum += (double) (float) (cache.logits[j] / total) * cache.values[j * channels + offset + d];
                }
                cache.attended[offset + d] = (float) sum;
            }
        }
        output.apply(cache.attended, 0, sums, cache.out, 0);
        for (int i = 0; i < channels; i++) {
            x[from + i] += cache.out[i];
        }
    }
}
