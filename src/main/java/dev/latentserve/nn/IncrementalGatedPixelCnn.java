package dev.latentserve.nn;

import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.stream.IntStream;
import org.jspecify.annotations.Nullable;

/**
 * Incremental generation from a {@link GatedPixelCnn} (Ramachandran et al. 2017, "Fast Generation for Convolutional
 * Autoregressive Models"): while codes are drawn in raster order, each layer's activations at earlier positions are
 * kept, so that a new position computes only what changes. Per layer, the vertical stack's row r depends only on codes
 * in rows above r and is computed once, whole, when row r begins; the horizontal stack at (r, c) needs the layer
 * below's horizontal features at (r, c-k/2..c) and the vertical-to-horizontal term at (r, c); causal self-attention
 * keeps the keys and values of earlier positions and attends from the new position's query; conditioning features
 * (the VQ-VAE-2 bottom prior's) are given once per draw. The logits are those of the full pass to float precision
 * (about 1e-6), so sampling draws the same codes.
 *
 * <p>Why plain Java and not DJL: at these map sizes a prior pass costs about 8.5 ms of DJL per-operation overhead
 * whatever its size, and one position of one layer is a dozen small operations, so even a cached step would cost
 * about 100 DJL calls (about a millisecond) per position. The arithmetic of one position is under a million
 * multiply-adds, a fraction of a millisecond in a JIT-vectorised loop. Weights are copied once per loaded prior
 * ({@link #of}); each draw gets its own {@link Generation}, which holds no native memory.
 */
public final class IncrementalGatedPixelCnn {

    /** Below this many samples a draw runs on the calling thread; above, samples are split across the common pool. */
    private static final int PARALLEL_SAMPLES = 4;

    private final int codes;
    private final int channels;
    private final float[] embedding;
    private final List<IncrementalGatedMaskedConv2d> layers;
    private final @Nullable IncrementalCausalSelfAttention[] attention;
    private final Affine hidden;
    private final Affine logits;
    private final int widest;

    private IncrementalGatedPixelCnn(int codes, int channels, float[] embedding, List<IncrementalGatedMaskedConv2d> layers,
            @Nullable IncrementalCausalSelfAttention[] attention, Affine hidden, Affine logits) {
        this.codes = codes;
        this.channels = channels;
        this.embedding = embedding;
        this.layers = layers;
        this.attention = attention;
        this.hidden = hidden;
        this.logits = logits;
        this.widest = Math.max(Math.max(hidden.outputs(), logits.outputs()), 3 * channels);
    }

    /**
     * Copies the prior's weights; call while its parameters are alive (the loaded model is open). The copy holds no
     * NDArray and is immutable, so one copy serves every draw on every thread.
     */
    public static IncrementalGatedPixelCnn of(GatedPixelCnn prior) {
        List<IncrementalGatedMaskedConv2d> layers = new ArrayList<>(prior.layers.size());
        IncrementalCausalSelfAttention[] attention = new IncrementalCausalSelfAttention[prior.layers.size()];
        for (int i = 0; i < prior.layers.size(); i++) {
            layers.add(new IncrementalGatedMaskedConv2d(prior.layers.get(i)));
            CausalSelfAttention block = prior.attention.get(i);
            attention[i] = block == null ? null : new IncrementalCausalSelfAttention(block);
        }
        // The head is ReLU, 1x1 convolution, ReLU, 1x1 convolution (GatedPixelCnn's constructor).
        Block first = prior.head.getChildren().get(1).getValue();
        Block second = prior.head.getChildren().get(3).getValue();
        return new IncrementalGatedPixelCnn(prior.codes, prior.channels, prior.embedding.getArray().toFloatArray(), layers,
                attention, convolution(first), convolution(second));
    }

    private static Affine convolution(Block conv) {
        Parameter weight = conv.getParameters().get("weight");
        Parameter bias = conv.getParameters().get("bias");
        return Affine.of(weight, bias, null);
    }

    /** K, the number of codes the logits range over. */
    public int codes() {
        return codes;
    }

    /**
     * A new draw of {@code samples} code maps of {@code height x width}; nothing is cached yet.
     *
     * @param condition the conditioning features of a conditional prior, (samples, C', height, width) flattened as the
     *     full pass takes them (NCHW), or null for an unconditional prior
     * @throws IllegalArgumentException when {@code condition} is given to an unconditional prior, missing for a
     *     conditional one, or of the wrong size
     */
    public Generation start(int samples, int height, int width, float @Nullable [] condition) {
        int conditionChannels = layers.getFirst().conditionChannels();
        if ((condition != null) != (conditionChannels > 0)) {
            throw new IllegalArgumentException(conditionChannels > 0 ? "this prior needs conditioning features"
                    : "this prior takes no conditioning features");
        }
        if (condition != null && condition.length != samples * conditionChannels * height * width) {
            throw new IllegalArgumentException("conditioning features hold " + condition.length + " values, not "
                    + samples + " x " + conditionChannels + " x " + height + " x " + width);
        }
        return new Generation(samples, height, width, condition == null ? null : channelsLast(condition, samples,
                conditionChannels, height * width));
    }

    /** (N, C, P) to (N, P, C): each position's channels contiguous, as the one-position steps read them. */
    private static float[] channelsLast(float[] nchw, int n, int channels, int positions) {
        float[] out = new float[nchw.length];
        for (int s = 0; s < n; s++) {
            for (int c = 0; c < channels; c++) {
                for (int p = 0; p < positions; p++) {
                    out[(s * positions + p) * channels + c] = nchw[(s * channels + c) * positions + p];
                }
            }
        }
        return out;
    }

    /**
     * One draw's cache: every sample's kept activations. Positions are asked for in raster order; positions skipped
     * (codes every sample keeps) are caught up on the next call. Not thread-safe: one draw, one caller.
     */
    public final class Generation {

        private final int samples;
        private final int height;
        private final int width;
        private final float @Nullable [] condition;
        private final SampleCache[] caches;
        private int next;

        private Generation(int samples, int height, int width, float @Nullable [] condition) {
            this.samples = samples;
            this.height = height;
            this.width = width;
            this.condition = condition;
            this.caches = new SampleCache[samples];
            for (int s = 0; s < samples; s++) {
                caches[s] = new SampleCache(s);
            }
        }

        /**
         * The logits at (row, column) for every sample given the codes before it, as the full pass computes them.
         *
         * @param maps the code maps so far, (samples, height, width) flattened; positions before (row, column) are read
         * @return K logits per sample, sample-major
         * @throws IllegalStateException when (row, column) comes before a position already asked for
         */
        public float[] at(long[] maps, int row, int column) {
            return at(maps, row, column, null);
        }

        /**
         * As {@link #at(long[], int, int)}, for the samples whose {@code live} flag is set only: the others' requests were
         * cancelled, so their caches stop and their logits are left 0. A flag once cleared must stay cleared (a sample
         * left behind cannot catch up).
         *
         * @param live one flag per sample, or null for all
         */
        public float[] at(long[] maps, int row, int column, boolean @Nullable [] live) {
            if (live != null && live.length != samples) {
                throw new IllegalArgumentException(live.length + " live flags for " + samples + " samples");
            }
            int target = row * width + column;
            if (target < next || row >= height || column >= width) {
                throw new IllegalStateException("positions must come in raster order within the map: (" + row + ", " + column
                        + ") after position " + (next - 1));
            }
            float[] out = new float[samples * codes];
            int from = next;
            int chunks = samples >= PARALLEL_SAMPLES ? Math.min(samples, ForkJoinPool.getCommonPoolParallelism() + 1) : 1;
            IntStream.range(0, chunks).parallel()
                    .forEach(chunk -> advance(chunk * samples / chunks, (chunk + 1) * samples / chunks, maps, from, target, out,
                            live));
            next = target + 1;
            return out;
        }

        /**
         * Steps samples [first, last) through positions from..target and writes the target's logits. Layer by layer
         * across the samples: one layer's weights (under 1 MB at the default sizes) then stay in the core's cache while
         * every sample uses them, where sample by sample all layers' weights would stream from memory at every position.
         */
        private void advance(int first, int last, long[] maps, int from, int target, float[] out, boolean @Nullable [] live) {
            for (int p = from; p <= target; p++) {
                int row = p / width;
                int column = p % width;
                if (column == 0) {
                    for (int l = 0; l < layers.size(); l++) {
                        for (int s = first; s < last; s++) {
                            if (live == null || live[s]) {
                                caches[s].verticalRow(maps, l, row);
                            }
                        }
                    }
                }
                for (int l = 0; l < layers.size(); l++) {
                    for (int s = first; s < last; s++) {
                        if (live == null || live[s]) {
                            caches[s].horizontalAt(maps, l, p, row, column);
                        }
                    }
                }
            }
            for (int s = first; s < last; s++) {
                if (live == null || live[s]) {
                    caches[s].head(target % width, out);
                }
            }
        }

        /** One sample's layers: vertical rows, the current row's horizontal features, attention caches. */
        private final class SampleCache {

            private final int sample;
            private final float[][] vertical;
            private final float[][] toHorizontal;
            private final float[] @Nullable [] conditionHorizontal;
            private final float[][] horizontal;
            private final IncrementalCausalSelfAttention.@Nullable Cache[] attended;
            private final IncrementalGatedMaskedConv2d.Scratch scratch;
            private final float[] rectified;
            private final float[] hiddenFeatures;

            SampleCache(int sample) {
                this.sample = sample;
                int n = layers.size();
                this.vertical = new float[n][];
                this.toHorizontal = new float[n][];
                this.conditionHorizontal = new float[n][];
                this.horizontal = new float[n][];
                this.attended = new IncrementalCausalSelfAttention.Cache[n];
                for (int l = 0; l < n; l++) {
                    vertical[l] = new float[layers.get(l).verticalRows() * width * channels];
                    toHorizontal[l] = new float[width * 2 * channels];
                    conditionHorizontal[l] = condition == null ? null : new float[width * 2 * channels];
                    horizontal[l] = new float[width * channels];
                    IncrementalCausalSelfAttention block = attention[l];
                    attended[l] = block == null ? null : block.cache(height * width);
                }
                this.scratch = new IncrementalGatedMaskedConv2d.Scratch(channels, widest);
                this.rectified = new float[channels];
                this.hiddenFeatures = new float[hidden.outputs()];
            }

            /** Layer l's vertical stack in this row; layer l-1's must be done. */
            void verticalRow(long[] maps, int l, int row) {
                int conditionFrom = sample * height * width * (condition == null ? 0 : layers.getFirst().conditionChannels());
                layers.get(l).verticalRow(l == 0 ? embedded(maps) : rows(l - 1), row, width, condition, conditionFrom, vertical[l],
                        toHorizontal[l], conditionHorizontal[l], scratch);
            }

            /** Layer l's horizontal stack (and attention) at this position; layer l-1's must be done. */
            void horizontalAt(long[] maps, int l, int position, int row, int column) {
                layers.get(l).horizontalAt(l == 0 ? embedded(maps) : row(l - 1), row, column, toHorizontal[l],
                        conditionHorizontal[l], horizontal[l], scratch);
                IncrementalCausalSelfAttention block = attention[l];
                if (block != null) {
                    block.at(horizontal[l], column * channels, row, column, position, attended[l], scratch.sums);
                }
            }

            /** ReLU, 1x1 to hidden, ReLU, 1x1 to K on the last horizontal features at the column. */
            void head(int column, float[] out) {
                float[] last = horizontal[layers.size() - 1];
                for (int i = 0; i < channels; i++) {
                    rectified[i] = Math.max(last[column * channels + i], 0f);
                }
                hidden.apply(rectified, 0, scratch.sums, hiddenFeatures, 0);
                for (int i = 0; i < hiddenFeatures.length; i++) {
                    hiddenFeatures[i] = Math.max(hiddenFeatures[i], 0f);
                }
                logits.apply(hiddenFeatures, 0, scratch.sums, out, sample * codes);
            }

            /** The first layer's input: the codes' embedding (one-hot times the table is the table's row, exactly). */
            private IncrementalGatedMaskedConv2d.Features embedded(long[] maps) {
                int base = sample * height * width;
                return new IncrementalGatedMaskedConv2d.Features(embedding,
                        (row, column) -> (int) maps[base + row * width + column] * channels);
            }

            /** Layer l's vertical output, kept for its last k/2+1 rows. */
            private IncrementalGatedMaskedConv2d.Features rows(int l) {
                int kept = layers.get(l).verticalRows();
                return new IncrementalGatedMaskedConv2d.Features(vertical[l], (row, column) -> (row % kept * width + column) * channels);
            }

            /** Layer l's horizontal output in the current row. */
            private IncrementalGatedMaskedConv2d.Features row(int l) {
                return new IncrementalGatedMaskedConv2d.Features(horizontal[l], (row, column) -> column * channels);
            }
        }
    }
}
