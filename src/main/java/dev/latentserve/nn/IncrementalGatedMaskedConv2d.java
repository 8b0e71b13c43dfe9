package dev.latentserve.nn;

import org.jspecify.annotations.Nullable;

/**
 * One {@link GatedMaskedConv2d} layer for incremental generation (Ramachandran et al. 2017, "Fast Generation for
 * Convolutional Autoregressive Models"): its weights copied into Java arrays, and the two steps that caching needs.
 * Row r of the vertical stack sees only rows above r of the codes, so it is computed whole ({@link #verticalRow}) once
 * row r-1 is complete; the horizontal stack at (r, c) needs the layer below's horizontal features at (r, c-k/2..c) and
 * this layer's vertical-to-horizontal term at (r, c), so it is computed one position at a time ({@link #horizontalAt}).
 * Every step rounds to float where the full pass's operators do, so that the two agree to float precision.
 *
 * <p>Features are channels-last: a position's C channels are contiguous.
 */
final class IncrementalGatedMaskedConv2d {

    private final int channels;
    private final int kernel;
    private final int half;
    private final boolean maskA;
    private final Affine vertical;
    private final Affine horizontal;
    private final Affine verticalToHorizontal;
    private final Affine output;
    private final @Nullable Affine condition;

    /** Input features: the value of channel i at (row, column) is {@code values[offset.at(row, column) + i]}. */
    record Features(float[] values, Offset offset) {

        int at(int row, int column) {
            return offset.at(row, column);
        }
    }

    /** Where a position's channels start in an array of features. */
    @FunctionalInterface
    interface Offset {

        int at(int row, int column);
    }

    /** Scratch arrays of one sample's steps, sized for the widest layer of the prior. */
    static final class Scratch {

        final double[] sums;
        final float[] raw;
        final float[] pre;
        final float[] gated;
        final float[] conditioned;

        Scratch(int channels, int widest) {
            this.sums = new double[Math.max(4 * channels, widest)];
            this.raw = new float[2 * channels];
            this.pre = new float[2 * channels];
            this.gated = new float[channels];
            this.conditioned = new float[4 * channels];
        }
    }

    IncrementalGatedMaskedConv2d(GatedMaskedConv2d layer) {
        this.channels = layer.channels;
        this.kernel = layer.kernel;
        this.half = kernel / 2;
        this.maskA = layer.maskA;
        // Mask A drops the vertical kernel's last row and the horizontal kernel's last column, as the full pass does.
        float[] rowMask = new float[(half + 1) * kernel];
        float[] columnMask = new float[half + 1];
        java.util.Arrays.fill(rowMask, 1f);
        java.util.Arrays.fill(columnMask, 1f);
        if (maskA) {
            java.util.Arrays.fill(rowMask, half * kernel, (half + 1) * kernel, 0f);
            columnMask[half] = 0f;
        }
        this.vertical = Affine.of(layer.verticalWeight, layer.verticalBias, rowMask);
        this.horizontal = Affine.of(layer.horizontalWeight, layer.horizontalBias, columnMask);
        this.verticalToHorizontal = Affine.of(layer.verticalToHorizontalWeight, layer.verticalToHorizontalBias, null);
        this.output = Affine.of(layer.outputWeight, layer.outputBias, null);
        this.condition = layer.conditionWeight == null ? null : Affine.of(layer.conditionWeight, layer.conditionBias, null);
    }

    /** Channels of the conditioning features, 0 for an unconditional layer. */
    int conditionChannels() {
        return condition == null ? 0 : condition.inputs();
    }

    /** Rows of this layer's vertical output the next layer reads: k/2 above and the current one. */
    int verticalRows() {
        return half + 1;
    }

    /**
     * Row {@code row} of the vertical stack (the paper's eq. 2 on the (k/2+1) x k kernel): the gated vertical features
     * into {@code gatedOut} at slot {@code row % (k/2+1)} (W x C), the vertical-to-horizontal term into
     * {@code toHorizontal} (W x 2C) and, for a conditional layer, the horizontal half of V h into
     * {@code conditionHorizontal} (W x 2C).
     *
     * @param input the layer's vertical input; rows row-k/2..row are read (row-k/2..row-1 with mask A)
     * @param conditionFeatures (H, W, C') conditioning features of this sample, channels-last, or null
     */
    void verticalRow(Features input, int row, int width, float @Nullable [] conditionFeatures, int conditionFrom,
            float[] gatedOut, float[] toHorizontal, float @Nullable [] conditionHorizontal, Scratch scratch) {
        double[] sums = scratch.sums;
        int slot = row % (half + 1) * width * channels;
        int lastRow = maskA ? half - 1 : half;
        for (int column = 0; column < width; column++) {
            vertical.start(sums);
            for (int kr = Math.max(0, half - row); kr <= lastRow; kr++) {
                for (int kc = Math.max(0, half - column); kc < kernel && column - half + kc < width; kc++) {
                    vertical.accumulate(sums, kr * kernel + kc, input.values(), input.at(row - half + kr, column - half + kc));
                }
            }
            Affine.round(sums, scratch.raw, 0, 2 * channels);
            float[] pre = scratch.raw;
            if (condition != null) {
                int c = condition.inputs();
                condition.apply(conditionFeatures, conditionFrom + (row * width + column) * c, sums, scratch.conditioned, 0);
                for (int o = 0; o < 2 * channels; o++) {
                    scratch.pre[o] = scratch.raw[o] + scratch.conditioned[o];
                }
                System.arraycopy(scratch.conditioned, 2 * channels, conditionHorizontal, column * 2 * channels, 2 * channels);
                pre = scratch.pre;
            }
            gate(pre, gatedOut, slot + column * channels);
            verticalToHorizontal.apply(scratch.raw, 0, sums, toHorizontal, column * 2 * channels);
        }
    }

    /**
     * The horizontal stack at (row, column) (the paper's eq. 2 on the 1 x (k/2+1) kernel, then the 1x1 output
     * convolution and, after the first layer, the residual connection), into {@code out} at column x C.
     *
     * @param input the layer's horizontal input; columns column-k/2..column of this row are read (..column-1 with mask A)
     */
    void horizontalAt(Features input, int row, int column, float[] toHorizontal, float @Nullable [] conditionHorizontal,
            float[] out, Scratch scratch) {
        double[] sums = scratch.sums;
        horizontal.start(sums);
        int lastColumn = maskA ? half - 1 : half;
        for (int kc = Math.max(0, half - column); kc <= lastColumn; kc++) {
            horizontal.accumulate(sums, kc, input.values(), input.at(row, column - half + kc));
        }
        Affine.round(sums, scratch.raw, 0, 2 * channels);
        int from = column * 2 * channels;
        for (int o = 0; o < 2 * channels; o++) {
            // The full pass adds in this order: (toHorizontal + horizontal) + V h, each sum rounded to float.
            float sum = toHorizontal[from + o] + scratch.raw[o];
            scratch.pre[o] = conditionHorizontal == null ? sum : sum + conditionHorizontal[from + o];
        }
        gate(scratch.pre, scratch.gated, 0);
        output.apply(scratch.gated, 0, sums, out, column * channels);
        if (!maskA) {
            int residual = input.at(row, column);
            for (int i = 0; i < channels; i++) {
                out[column * channels + i] += input.values()[residual + i];
            }
        }
    }

    /** tanh(first C) * sigmoid(second C), each rounded to float as PyTorch's operators are. */
    private void gate(float[] pre, float[] out, int to) {
        for (int i = 0; i < channels; i++) {
            float tanh = (float) Math.tanh(pre[i]);
            float sigmoid = (float) (1.0 / (1.0 + Math.exp(-(double) pre[channels + i])));
            out[to + i] = tanh * sigmoid;
        }
    }
}
