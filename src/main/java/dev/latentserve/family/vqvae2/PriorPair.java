package dev.latentserve.family.vqvae2;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.latentserve.nn.GatedPixelCnn;
import org.jspecify.annotations.Nullable;

/**
 * The block a level's prior is fitted as: the prior under its level's name, so that checkpoint parameters are named
 * {@code top.*} or {@code bottom.*} (as checkpoints of fits under way already are). Forward takes both levels' maps
 * {@code (topCodes, bottomCodes)}, which is what the bottom prior is conditioned on, and returns the logits of the levels
 * present, top first. Each level is saved to its own file afterwards.
 */
final class PriorPair extends AbstractBlock {

    private static final byte VERSION = 1;

    private final @Nullable GatedPixelCnn top;
    private final @Nullable ConditionalPixelCnn bottom;

    PriorPair(@Nullable GatedPixelCnn top, @Nullable ConditionalPixelCnn bottom) {
        super(VERSION);
        this.top = top == null ? null : addChildBlock("top", top);
        this.bottom = bottom == null ? null : addChildBlock("bottom", bottom);
    }

    @Nullable GatedPixelCnn top() {
        return top;
    }

    @Nullable ConditionalPixelCnn bottom() {
        return bottom;
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDList logits = new NDList();
        if (top != null) {
            logits.addAll(top.forward(store, new NDList(inputs.get(0)), training));
        }
        if (bottom != null) {
            logits.addAll(bottom.forward(store, new NDList(inputs.get(1), inputs.get(0)), training));
        }
        return logits;
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputs) {
        Shape[] topShape = top == null ? new Shape[0] : top.getOutputShapes(new Shape[] {inputs[0]});
        Shape[] bottomShape = bottom == null ? new Shape[0] : bottom.getOutputShapes(new Shape[] {inputs[1], inputs[0]});
        Shape[] all = new Shape[topShape.length + bottomShape.length];
        System.arraycopy(topShape, 0, all, 0, topShape.length);
        System.arraycopy(bottomShape, 0, all, topShape.length, bottomShape.length);
        return all;
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        if (top != null) {
            top.initialize(manager, dataType, inputShapes[0]);
        }
        if (bottom != null) {
            bottom.initialize(manager, dataType, inputShapes[1], inputShapes[0]);
        }
    }
}
