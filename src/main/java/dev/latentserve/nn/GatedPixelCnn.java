package dev.latentserve.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.List;

/**
 * An autoregressive prior over code maps: p(c) = prod over raster positions of p(c_ij | codes before ij).
 * Codes are embedded, passed through gated masked layers ({@link GatedMaskedConv2d}: the first with mask A, the
 * rest with mask B) and mapped by two 1x1 convolutions to K logits per position. Forward takes codes
 * (N, H, W) as int64 and returns logits (N, K, H, W); the logits at a position depend only on earlier codes.
 */
public final class GatedPixelCnn extends AbstractBlock {

    private static final byte VERSION = 1;

    private final int codes;
    private final int channels;
    private final Parameter embedding;
    private final List<GatedMaskedConv2d> layers = new ArrayList<>();
    private final SequentialBlock head;

    public GatedPixelCnn(int codes, int channels, int layerCount, int kernel, int hidden) {
        super(VERSION);
        this.codes = codes;
        this.channels = channels;
        this.embedding = addParameter(Parameter.builder().setName("embedding").setType(Parameter.Type.WEIGHT)
                .optShape(new Shape(codes, channels)).optInitializer(new NormalInitializer(1f)).build());
        for (int i = 0; i < layerCount; i++) {
            layers.add(addChildBlock("gated" + i, new GatedMaskedConv2d(channels, kernel, i == 0)));
        }
        this.head = addChildBlock("head", new SequentialBlock()
                .add(Activation.reluBlock())
                .add(Conv2d.builder().setFilters(hidden).setKernelShape(new Shape(1, 1)).build())
                .add(Activation.reluBlock())
                .add(Conv2d.builder().setFilters(codes).setKernelShape(new Shape(1, 1)).build()));
    }

    public int codes() {
        return codes;
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray grid = inputs.singletonOrThrow();
        Shape shape = grid.getShape();
        NDArray table = store.getValue(embedding, grid.getDevice(), training);
        NDArray embedded = grid.reshape(-1).oneHot(codes).toType(table.getDataType(), false).matMul(table)
                .reshape(shape.get(0), shape.get(1), shape.get(2), channels).transpose(0, 3, 1, 2);
        NDList stacks = new NDList(embedded, embedded);
        for (GatedMaskedConv2d layer : layers) {
            stacks = layer.forward(store, stacks, training);
        }
        return head.forward(store, new NDList(stacks.get(1)), training);
    }

    /** Negative log-likelihood in nats of each code map (N), under the logits for it. */
    public static NDArray negativeLogLikelihood(NDArray logits, NDArray grid) {
        int codes = (int) logits.getShape().get(1);
        NDArray logProbabilities = logits.logSoftmax(1);
        NDArray targets = grid.oneHot(codes).toType(logits.getDataType(), false).transpose(0, 3, 1, 2);
        return logProbabilities.mul(targets).sum(new int[] {1, 2, 3}).neg();
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputs) {
        Shape in = inputs[0];
        return new Shape[] {new Shape(in.get(0), codes, in.get(1), in.get(2))};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape grid = inputShapes[0];
        Shape features = new Shape(grid.get(0), channels, grid.get(1), grid.get(2));
        for (GatedMaskedConv2d layer : layers) {
            layer.initialize(manager, dataType, features, features);
        }
        head.initialize(manager, dataType, features);
    }
}
