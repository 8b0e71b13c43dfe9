package dev.latentserve.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.Dropout;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Causal multi-head self-attention over a feature map in raster order, as interleaved with the gated layers of
 * the VQ-VAE-2 top prior (PixelSNAIL, Chen et al. 2018): position i attends to positions j &lt;= i. Keys, queries
 * and values are 1x1 convolutions of the features concatenated with the positions' (row, column) coordinates,
 * the background PixelSNAIL adds so that attention knows where things are. Dropout acts on the attention weights.
 * The result is added to the input (a residual connection).
 *
 * <p>Attending to j = i is causal only on features that already exclude the code at i, such as the horizontal
 * stack after a mask-A layer. Coordinates are scaled by the full grid's size, fixed at construction, so that a
 * map cut to its first rows (as during sampling) sees the same values.
 */
public final class CausalSelfAttention extends AbstractBlock {

    private static final byte VERSION = 1;
    private static final float MASKED = -1e9f;

    final int channels;
    final int heads;
    private final float dropout;
    final int gridHeight;
    final int gridWidth;
    final Parameter projectionWeight;
    final Parameter projectionBias;
    final Parameter outputWeight;
    final Parameter outputBias;

    public CausalSelfAttention(int channels, int heads, float dropout, int gridHeight, int gridWidth) {
        super(VERSION);
        if (heads < 1 || channels % heads != 0) {
            throw new IllegalArgumentException(channels + " channels cannot be split into " + heads + " heads");
        }
        this.channels = channels;
        this.heads = heads;
        this.dropout = dropout;
        this.gridHeight = gridHeight;
        this.gridWidth = gridWidth;
        this.projectionWeight = addParameter(Parameter.builder().setName("qkv_weight").setType(Parameter.Type.WEIGHT)
                .optShape(new Shape(3L * channels, channels + 2L, 1, 1)).build());
        this.projectionBias = addParameter(Parameter.builder().setName("qkv_bias").setType(Parameter.Type.BIAS)
                .optShape(new Shape(3L * channels)).build());
        this.outputWeight = addParameter(Parameter.builder().setName("output_weight").setType(Parameter.Type.WEIGHT)
                .optShape(new Shape(channels, channels, 1, 1)).build());
        this.outputBias = addParameter(Parameter.builder().setName("output_bias").setType(Parameter.Type.BIAS)
                .optShape(new Shape(channels)).build());
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        Shape shape = x.getShape();
        long n = shape.get(0);
        int height = (int) shape.get(2);
        int width = (int) shape.get(3);
        int length = height * width;
        int headSize = channels / heads;
        NDManager scope = x.getManager();
        NDArray withPositions = NDArrays.concat(new NDList(x, coordinates(scope, height, width).toType(x.getDataType(), false)
                .broadcast(n, 2, height, width)), 1);
        NDArray qkv = Conv2d.conv2d(withPositions, value(store, projectionWeight, x, training), value(store, projectionBias, x, training))
                .singletonOrThrow().reshape(n, 3, heads, headSize, length);
        NDArray queries = qkv.get(":, 0").transpose(0, 1, 3, 2);
        NDArray keys = qkv.get(":, 1");
        NDArray values = qkv.get(":, 2").transpose(0, 1, 3, 2);
        NDArray logits = queries.matMul(keys).div(Scoped.scalar(x, Math.sqrt(headSize)))
                .add(causalMask(scope, length).toType(x.getDataType(), false));
        NDArray weights = logits.softmax(-1);
        if (training && dropout > 0) {
            weights = Dropout.dropout(weights, dropout, true).singletonOrThrow();
        }
        NDArray attended = weights.matMul(values).transpose(0, 1, 3, 2).reshape(n, channels, height, width);
        NDArray output = Conv2d.conv2d(attended, value(store, outputWeight, x, training), value(store, outputBias, x, training))
                .singletonOrThrow();
        return new NDList(x.add(output));
    }

    private static NDArray value(ParameterStore store, Parameter parameter, NDArray like, boolean training) {
        return store.getValue(parameter, like.getDevice(), training);
    }

    /** (1, 2, h, w): each position's row and column, scaled to [-0.5, 0.5) over the full grid. */
    private NDArray coordinates(NDManager scope, int height, int width) {
        float[] values = new float[2 * height * width];
        for (int r = 0; r < height; r++) {
            for (int c = 0; c < width; c++) {
                values[r * width + c] = (float) r / gridHeight - 0.5f;
                values[height * width + r * width + c] = (float) c / gridWidth - 0.5f;
            }
        }
        return scope.create(values, new Shape(1, 2, height, width));
    }

    /** (L, L): 0 where the key's position is at or before the query's, a large negative number after it. */
    private static NDArray causalMask(NDManager scope, int length) {
        float[] mask = new float[length * length];
        for (int i = 0; i < length; i++) {
            for (int j = i + 1; j < length; j++) {
                mask[i * length + j] = MASKED;
            }
        }
        return scope.create(mask, new Shape(length, length));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputs) {
        return new Shape[] {inputs[0]};
    }

    @Override
    protected void prepare(Shape[] inputs) {
        if (inputs[0].get(1) != channels) {
            throw new IllegalArgumentException("expected " + channels + " channels, got " + inputs[0]);
        }
    }
}
