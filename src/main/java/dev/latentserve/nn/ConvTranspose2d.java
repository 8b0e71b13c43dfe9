package dev.latentserve.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Exact transposed 2-D convolution (PyTorch's {@code nn.ConvTranspose2d}, square kernel, groups 1),
 * because DJL's {@code Conv2dTranspose} throws on the PyTorch engine.
 *
 * <p>Phase decomposition: output row {@code o} with {@code o + p = q*s + r} only meets kernel taps
 * {@code r, r+s, r+2s, ...}, so each of the {@code s*s} output phases is an ordinary correlation with a
 * flipped sub-kernel of size {@code M = ceil(k/s)}. All phases run as one {@code conv2d} whose output
 * channels are (phase, channel); a pixel shuffle interleaves them. No multiply is wasted on inserted zeros.
 *
 * <p>The weight has PyTorch's layout {@code (inChannels, outChannels, k, k)} so fixtures and checkpoints
 * compare one to one.
 */
public final class ConvTranspose2d extends AbstractBlock {

    private static final byte VERSION = 1;

    private final int inChannels;
    private final int outChannels;
    private final int kernel;
    private final int stride;
    private final int padding;
    private final int outputPadding;
    private final int phaseKernel;
    private final Parameter weight;
    private final Parameter bias;

    public ConvTranspose2d(int inChannels, int outChannels, int kernel, int stride, int padding, int outputPadding) {
        super(VERSION);
        if (kernel < 1 || stride < 1 || padding < 0 || outputPadding < 0 || outputPadding >= stride || padding >= kernel) {
            throw new IllegalArgumentException("invalid transposed convolution geometry k=" + kernel + " s=" + stride
                    + " p=" + padding + " op=" + outputPadding);
        }
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        this.outputPadding = outputPadding;
        this.phaseKernel = (kernel + stride - 1) / stride;
        this.weight = addParameter(Parameter.builder()
                .setName("weight")
                .setType(Parameter.Type.WEIGHT)
                .optShape(new Shape(inChannels, outChannels, kernel, kernel))
                .build());
        this.bias = addParameter(Parameter.builder()
                .setName("bias")
                .setType(Parameter.Type.BIAS)
                .optShape(new Shape(outChannels))
                .build());
    }

    /** Output side length for an input side length {@code n}, as PyTorch defines it. */
    public long outputSize(long n) {
        return (n - 1) * stride - 2L * padding + kernel + outputPadding;
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
            PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        NDArray w = Scoped.local(store.getValue(weight, x.getDevice(), training), x.getManager());
        NDArray b = Scoped.local(store.getValue(bias, x.getDevice(), training), x.getManager());
        return new NDList(apply(x, w, b));
    }

    /** The transposed convolution of x; w and b must belong to x's scope (see {@link Scoped}). */
    NDArray apply(NDArray x, NDArray w, NDArray b) {
        long n = x.getShape().get(0);
        long height = x.getShape().get(2);
        long width = x.getShape().get(3);
        long outH = outputSize(height);
        long outW = outputSize(width);
        long phasesH = ceilDiv(outH + padding, stride);
        long phasesW = ceilDiv(outW + padding, stride);

        NDArray phaseWeight = phaseKernels(w);
        int left = phaseKernel - 1;
        long pad = Math.max(left, Math.max(phasesH, phasesW) - Math.min(height, width));
        NDArray phases = Conv2d.conv2d(x, phaseWeight, null, new Shape(1, 1), new Shape(pad, pad)).singletonOrThrow();
        long offset = pad - left;
        phases = phases.get(new NDIndex(":, :, {}:{}, {}:{}", offset, offset + phasesH, offset, offset + phasesW));

        // (N, r1, r2, C, q1, q2) -> (N, C, q1, r1, q2, r2): row q1*s + r1, column q2*s + r2.
        NDArray shuffled = phases.reshape(n, stride, stride, outChannels, phasesH, phasesW)
                .transpose(0, 3, 4, 1, 5, 2)
                .reshape(n, outChannels, phasesH * stride, phasesW * stride);
        NDArray cropped = shuffled.get(new NDIndex(":, :, {}:{}, {}:{}", padding, padding + outH, padding, padding + outW));
        return cropped.add(b.reshape(1, outChannels, 1, 1));
    }

    /** Builds the (s*s*out, in, M, M) kernel: phase (r1, r2), tap j uses w[.., r + (M-1-j)*s]. */
    private NDArray phaseKernels(NDArray w) {
        long full = (long) phaseKernel * stride;
        NDArray padded = w;
        if (full > kernel) {
            long extra = full - kernel;
            NDArray rows = w.getManager().zeros(new Shape(inChannels, outChannels, extra, kernel), w.getDataType(), w.getDevice());
            padded = w.concat(rows, 2);
            NDArray cols = w.getManager().zeros(new Shape(inChannels, outChannels, full, extra), w.getDataType(), w.getDevice());
            padded = padded.concat(cols, 3);
        }
        return padded.reshape(inChannels, outChannels, phaseKernel, stride, phaseKernel, stride)
                .flip(2, 4)
                .transpose(3, 5, 1, 0, 2, 4)
                .reshape((long) stride * stride * outChannels, inChannels, phaseKernel, phaseKernel);
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputs) {
        Shape in = inputs[0];
        return new Shape[] {new Shape(in.get(0), outChannels, outputSize(in.get(2)), outputSize(in.get(3)))};
    }

    @Override
    protected void prepare(Shape[] inputs) {
        // Shapes are fixed at construction; nothing depends on the input shape.
    }
}
