package dev.latentserve.nn;

import ai.djl.nn.Parameter;
import org.jspecify.annotations.Nullable;

/**
 * A convolution's weights copied out of DJL for the one-position steps of incremental sampling: y = b + sum over taps t
 * and inputs i of W[o, i, t] x_t[i], for one output position at a time. Weights are held transposed, tap- and
 * input-major, so that the inner loop is an axpy over the outputs that the JIT vectorises, and every sum is accumulated
 * in double: the results are then the float-rounded exact values, within a few units in the last place of PyTorch's
 * float sums, which is what lets incremental sampling draw the same codes as the full pass. The weights stay float:
 * float weights into double sums vectorised at 4-5 billion multiply-adds a second on this machine, double into double
 * at about 1.2 (C2 does not vectorise an axpy whose two arrays are of one type and so might overlap).
 */
final class Affine {

    private final int outputs;
    private final int inputs;
    private final int taps;
    /** W[o, i, t] at ((t * inputs) + i) * outputs + o. */
    private final float[] weights;
    private final double[] bias;

    private Affine(int outputs, int inputs, int taps, float[] weights, double[] bias) {
        this.outputs = outputs;
        this.inputs = inputs;
        this.taps = taps;
        this.weights = weights;
        this.bias = bias;
    }

    /**
     * @param weight a (outputs, inputs, kh, kw) convolution weight; the taps are its kh x kw positions in row-major order
     * @param tapMask 1 for taps to keep, 0 for taps a causal mask drops (kh x kw entries), or null for all
     * @param bias (outputs), or null for none
     */
    static Affine of(Parameter weight, @Nullable Parameter bias, float @Nullable [] tapMask) {
        long[] shape = weight.getArray().getShape().getShape();
        int outputs = (int) shape[0];
        int inputs = (int) shape[1];
        int taps = 1;
        for (int d = 2; d < shape.length; d++) {
            taps *= (int) shape[d];
        }
        float[] w = weight.getArray().toFloatArray();
        float[] transposed = new float[w.length];
        for (int o = 0; o < outputs; o++) {
            for (int i = 0; i < inputs; i++) {
                for (int t = 0; t < taps; t++) {
                    float kept = tapMask == null ? 1f : tapMask[t];
                    transposed[(t * inputs + i) * outputs + o] = w[(o * inputs + i) * taps + t] * kept;
                }
            }
        }
        double[] b = new double[outputs];
        if (bias != null) {
            float[] values = bias.getArray().toFloatArray();
            for (int o = 0; o < outputs; o++) {
                b[o] = values[o];
            }
        }
        return new Affine(outputs, inputs, taps, transposed, b);
    }

    int outputs() {
        return outputs;
    }

    int inputs() {
        return inputs;
    }

    /** Starts a sum at the bias: acc[0..outputs) = b. */
    void start(double[] acc) {
        System.arraycopy(bias, 0, acc, 0, outputs);
    }

    /** acc += W[:, :, t] x, x being {@code inputs} values from {@code x[from]}. */
    void accumulate(double[] acc, int tap, float[] x, int from) {
        int base = tap * inputs * outputs;
        for (int i = 0; i < inputs; i++) {
            float xi = x[from + i];
            // Skipping exact zeros (ReLU outputs, padding) changes no sum while weights are finite.
            if (xi != 0f) {
                axpy(acc, weights, base + i * outputs, xi, outputs);
            }
        }
    }

    /** acc += W[:, i, t] x for one input i. */
    void accumulate(double[] acc, int tap, int input, float x) {
        if (x != 0f) {
            axpy(acc, weights, (tap * inputs + input) * outputs, x, outputs);
        }
    }

    /** y = b + W x for a 1x1 convolution, rounded to float as PyTorch's output is. */
    void apply(float[] x, int from, double[] acc, float[] y, int to) {
        start(acc);
        accumulate(acc, 0, x, from);
        round(acc, y, to, outputs);
    }

    int taps() {
        return taps;
    }

    private static void axpy(double[] acc, float[] w, int from, double x, int n) {
        for (int o = 0; o < n; o++) {
            acc[o] += w[from + o] * x;
        }
    }

    static void round(double[] acc, float[] y, int to, int n) {
        for (int o = 0; o < n; o++) {
            y[to + o] = (float) acc[o];
        }
    }
}
