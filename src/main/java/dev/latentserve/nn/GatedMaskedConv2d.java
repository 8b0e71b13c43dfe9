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
import org.jspecify.annotations.Nullable;

/**
 * One layer of the gated PixelCNN (van den Oord et al. 2016, "Conditional Image Generation with PixelCNN
 * Decoders"), with a vertical and a horizontal stack so that there is no blind spot.
 *
 * <ul>
 *   <li>Vertical stack: a (k/2+1) x k convolution, padded and cropped so output row i sees input rows
 *       i-k/2..i; mask A (first layer) drops the last kernel row, so row i sees only rows above.</li>
 *   <li>Horizontal stack: a 1 x (k/2+1) convolution seeing columns j-k/2..j of row i; mask A drops column j.</li>
 *   <li>The vertical features enter the horizontal stack through a 1x1 convolution; both stacks pass through
 *       the gate tanh(a) * sigmoid(b); the horizontal stack has a 1x1 output convolution and, after the first
 *       layer, a residual connection.</li>
 * </ul>
 * Forward takes {@code (vertical, horizontal)}, each (N, C, H, W), and returns the two new stacks. A conditional
 * layer (the paper's section 2.3) takes a third input, features h of the conditioning information at the same
 * resolution, and adds V h (a 1x1 convolution) to the pre-activations of both stacks, which stays causal because
 * h does not depend on the codes being modelled.
 */
public final class GatedMaskedConv2d extends AbstractBlock {

    private static final byte VERSION = 1;

    final int channels;
    final int kernel;
    final boolean maskA;
    final Parameter verticalWeight;
    final Parameter verticalBias;
    final Parameter horizontalWeight;
    final Parameter horizontalBias;
    final Parameter verticalToHorizontalWeight;
    final Parameter verticalToHorizontalBias;
    final Parameter outputWeight;
    final Parameter outputBias;
    final @Nullable Parameter conditionWeight;
    final @Nullable Parameter conditionBias;

    public GatedMaskedConv2d(int channels, int kernel, boolean maskA) {
        this(channels, kernel, maskA, 0);
    }

    /** @param conditionChannels channels of the conditioning features, 0 for an unconditional layer */
    public GatedMaskedConv2d(int channels, int kernel, boolean maskA, int conditionChannels) {
        super(VERSION);
        if (kernel < 1 || kernel % 2 == 0) {
            throw new IllegalArgumentException("kernel must be odd, not " + kernel);
        }
        this.channels = channels;
        this.kernel = kernel;
        this.maskA = maskA;
        int half = kernel / 2;
        this.verticalWeight = weight("vertical_weight", new Shape(2L * channels, channels, half + 1, kernel));
        this.verticalBias = bias("vertical_bias", 2L * channels);
        this.horizontalWeight = weight("horizontal_weight", new Shape(2L * channels, channels, 1, half + 1));
        this.horizontalBias = bias("horizontal_bias", 2L * channels);
        this.verticalToHorizontalWeight = weight("v2h_weight", new Shape(2L * channels, 2L * channels, 1, 1));
        this.verticalToHorizontalBias = bias("v2h_bias", 2L * channels);
        this.outputWeight = weight("output_weight", new Shape(channels, channels, 1, 1));
        this.outputBias = bias("output_bias", channels);
        // Added only when conditional, so that unconditional layers keep the parameter list they were saved with.
        this.conditionWeight = conditionChannels > 0 ? weight("condition_weight", new Shape(4L * channels, conditionChannels, 1, 1)) : null;
        this.conditionBias = conditionChannels > 0 ? bias("condition_bias", 4L * channels) : null;
    }

    private Parameter weight(String name, Shape shape) {
        return addParameter(Parameter.builder().setName(name).setType(Parameter.Type.WEIGHT).optShape(shape).build());
    }

    private Parameter bias(String name, long size) {
        return addParameter(Parameter.builder().setName(name).setType(Parameter.Type.BIAS).optShape(new Shape(size)).build());
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray vertical = inputs.get(0);
        NDArray horizontal = inputs.get(1);
        long height = vertical.getShape().get(2);
        long width = vertical.getShape().get(3);
        int half = kernel / 2;

        NDArray vw = value(store, verticalWeight, vertical, training);
        NDArray hw = value(store, horizontalWeight, vertical, training);
        if (maskA) {
            // The mask is a constant in the request's scope and the first operand, so the masked weight is too.
            vw = rowMask(vertical).mul(vw);
            hw = columnMask(vertical).mul(hw);
        }
        NDArray verticalOut = Conv2d.conv2d(vertical, vw, value(store, verticalBias, vertical, training), new Shape(1, 1),
                new Shape(half, half)).singletonOrThrow().get(new NDIndex(":, :, 0:{}, :", height));
        NDArray horizontalOut = Conv2d.conv2d(horizontal, hw, value(store, horizontalBias, vertical, training), new Shape(1, 1),
                new Shape(0, half)).singletonOrThrow().get(new NDIndex(":, :, :, 0:{}", width));
        NDArray toHorizontal = Conv2d.conv2d(verticalOut, value(store, verticalToHorizontalWeight, vertical, training),
                value(store, verticalToHorizontalBias, vertical, training)).singletonOrThrow();
        NDArray verticalPre = verticalOut;
        NDArray horizontalPre = toHorizontal.add(horizontalOut);
        if (conditionWeight != null) {
            NDList condition = Conv2d.conv2d(inputs.get(2), value(store, conditionWeight, vertical, training),
                    value(store, conditionBias, vertical, training)).singletonOrThrow().split(2, 1);
            verticalPre = verticalPre.add(condition.get(0));
            horizontalPre = horizontalPre.add(condition.get(1));
        }
        NDArray gatedVertical = gate(verticalPre);
        NDArray gatedHorizontal = gate(horizontalPre);
        NDArray horizontalNext = Conv2d.conv2d(gatedHorizontal, value(store, outputWeight, vertical, training),
                value(store, outputBias, vertical, training)).singletonOrThrow();
        if (!maskA) {
            horizontalNext = horizontalNext.add(horizontal);
        }
        return new NDList(gatedVertical, horizontalNext);
    }

    private static NDArray value(ParameterStore store, Parameter parameter, NDArray like, boolean training) {
        return store.getValue(parameter, like.getDevice(), training);
    }

    /** tanh(first half of the channels) * sigmoid(second half). */
    private NDArray gate(NDArray x) {
        NDList halves = x.split(2, 1);
        return halves.get(0).tanh().mul(ai.djl.nn.Activation.sigmoid(halves.get(1)));
    }

    private NDArray rowMask(NDArray like) {
        int half = kernel / 2;
        float[] mask = new float[(half + 1) * kernel];
        for (int r = 0; r < half; r++) {
            for (int c = 0; c < kernel; c++) {
                mask[r * kernel + c] = 1f;
            }
        }
        return like.getManager().create(mask, new Shape(1, 1, half + 1, kernel));
    }

    private NDArray columnMask(NDArray like) {
        int half = kernel / 2;
        float[] mask = new float[half + 1];
        for (int c = 0; c < half; c++) {
            mask[c] = 1f;
        }
        return like.getManager().create(mask, new Shape(1, 1, 1, half + 1));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputs) {
        return new Shape[] {inputs[0], inputs[0]};
    }

    @Override
    protected void prepare(Shape[] inputs) {
        if (inputs[0].get(1) != channels) {
            throw new IllegalArgumentException("expected " + channels + " channels, got " + inputs[0]);
        }
        if ((conditionWeight != null) != (inputs.length == 3)) {
            throw new IllegalArgumentException("a " + (conditionWeight != null ? "conditional" : "unconditional")
                    + " layer takes " + (conditionWeight != null ? 3 : 2) + " inputs, not " + inputs.length);
        }
    }
}
