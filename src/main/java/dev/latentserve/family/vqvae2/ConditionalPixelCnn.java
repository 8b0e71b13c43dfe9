package dev.latentserve.family.vqvae2;

import static dev.latentserve.nn.ResidualStack.conv;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.util.PairList;
import dev.latentserve.family.vqvae2.PriorArchitectures.BottomPrior;
import dev.latentserve.nn.GatedPixelCnn;
import dev.latentserve.nn.ResidualStack;
import dev.latentserve.nn.Scoped;

/**
 * The VQ-VAE-2 bottom prior: a {@link GatedPixelCnn} over the bottom codes whose every layer adds features of the
 * top codes. Those come from a conditioning stack (an embedding of the top codes, a 3x3 convolution and a
 * {@link ResidualStack}) and are upsampled to the bottom grid by repeating each position 2x2 (nearest neighbour).
 * The top codes are all known when the bottom map is drawn, so conditioning on them keeps the prior causal.
 *
 * <p>Forward takes {@code (bottomCodes (N, h, W), topCodes (N, H/2, W/2))} as int64, where h may be fewer rows
 * than the full H (the rows drawn so far), and returns logits (N, K_bottom, h, W).
 */
final class ConditionalPixelCnn extends AbstractBlock {

    private static final byte VERSION = 1;

    private final int topCodes;
    private final int conditionChannels;
    private final Parameter topEmbedding;
    private final SequentialBlock conditioning;
    private final GatedPixelCnn pixelCnn;

    ConditionalPixelCnn(int topCodes, int bottomCodes, BottomPrior prior, int gridHeight, int gridWidth) {
        super(VERSION);
        this.topCodes = topCodes;
        this.conditionChannels = prior.conditionChannels();
        this.topEmbedding = addParameter(Parameter.builder().setName("top_embedding").setType(Parameter.Type.WEIGHT)
                .optShape(new Shape(topCodes, conditionChannels)).optInitializer(new NormalInitializer(1f)).build());
        this.conditioning = addChildBlock("conditioning", new SequentialBlock().add(conv(conditionChannels, 3, 1, 1))
                .add(ResidualStack.of(conditionChannels, Math.max(1, conditionChannels / 2), prior.conditionBlocks())));
        this.pixelCnn = addChildBlock("pixelCnn", new GatedPixelCnn(bottomCodes, prior.channels(), prior.layers(), prior.kernel(),
                prior.hidden(), new GatedPixelCnn.Options(conditionChannels, 0, 1, (float) prior.dropout(), gridHeight, gridWidth)));
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray bottom = inputs.get(0);
        NDArray condition = condition(store, inputs.get(1), training);
        long rows = bottom.getShape().get(1);
        if (rows < condition.getShape().get(2)) {
            condition = condition.get(new NDIndex(":, :, 0:{}, :", rows));
        }
        return pixelCnn.forward(store, new NDList(bottom, condition), training);
    }

    /** The gated PixelCNN over the bottom codes, whose layers take {@link #condition}'s features. */
    GatedPixelCnn pixelCnn() {
        return pixelCnn;
    }

    /**
     * Features of the top codes on the bottom grid, (N, C', 2 x top height, 2 x top width): the conditioning stack's
     * output, which forward computes from the top codes (N, H/2, W/2) as int64 and adds to every layer.
     */
    NDArray condition(ParameterStore store, NDArray top, boolean training) {
        Shape shape = top.getShape();
        long n = shape.get(0);
        long height = shape.get(1);
        long width = shape.get(2);
        NDArray table = Scoped.local(store.getValue(topEmbedding, top.getDevice(), training), top.getManager());
        NDArray embedded = top.reshape(-1).oneHot(topCodes).toType(table.getDataType(), false).matMul(table)
                .reshape(n, height, width, conditionChannels).transpose(0, 3, 1, 2);
        NDArray features = conditioning.forward(store, new NDList(embedded), training).singletonOrThrow();
        return features.reshape(n, conditionChannels, height, 1, width, 1).broadcast(n, conditionChannels, height, 2, width, 2)
                .reshape(n, conditionChannels, height * 2, width * 2);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputs) {
        return pixelCnn.getOutputShapes(new Shape[] {inputs[0]});
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape bottom = inputShapes[0];
        Shape top = inputShapes[1];
        conditioning.initialize(manager, dataType, new Shape(top.get(0), conditionChannels, top.get(1), top.get(2)));
        pixelCnn.initialize(manager, dataType, bottom, new Shape(bottom.get(0), conditionChannels, bottom.get(1), bottom.get(2)));
    }
}
