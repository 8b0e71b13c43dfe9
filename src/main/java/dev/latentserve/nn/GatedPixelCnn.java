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
import ai.djl.nn.norm.Dropout;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An autoregressive prior over code maps: p(c) = prod over raster positions of p(c_ij | codes before ij).
 * Codes are embedded, passed through gated masked layers ({@link GatedMaskedConv2d}: the first with mask A, the
 * rest with mask B) and mapped by two 1x1 convolutions to K logits per position. Forward takes codes
 * (N, H, W) as int64 and returns logits (N, K, H, W); the logits at a position depend only on earlier codes.
 *
 * <p>{@link Options} add what the VQ-VAE-2 priors need: {@link CausalSelfAttention} on the horizontal stack after
 * every few layers and dropout after each layer (the top prior), or conditioning features (N, C', H, W) as a second
 * input that every layer adds to its pre-activations (the bottom prior, conditioned on the top codes).
 */
public final class GatedPixelCnn extends AbstractBlock {

    private static final byte VERSION = 1;

    final int codes;
    final int channels;
    final Parameter embedding;
    final List<GatedMaskedConv2d> layers = new ArrayList<>();
    final Map<Integer, CausalSelfAttention> attention = new HashMap<>();
    final Options options;
    final SequentialBlock head;

    /**
     * @param conditionChannels channels of the conditioning input; 0 for none
     * @param attentionEvery attention after layers attentionEvery, 2 x attentionEvery, ...; 0 for none
     * @param heads attention heads; they split the channels
     * @param dropout dropout rate after every layer and on the attention weights, while training
     * @param gridHeight the full code map's height, for the attention's coordinates
     * @param gridWidth the full code map's width
     */
    public record Options(int conditionChannels, int attentionEvery, int heads, float dropout, int gridHeight, int gridWidth) {

        public static final Options NONE = new Options(0, 0, 1, 0f, 1, 1);
    }

    public GatedPixelCnn(int codes, int channels, int layerCount, int kernel, int hidden) {
        this(codes, channels, layerCount, kernel, hidden, Options.NONE);
    }

    public GatedPixelCnn(int codes, int channels, int layerCount, int kernel, int hidden, Options options) {
        super(VERSION);
        this.codes = codes;
        this.channels = channels;
        this.options = options;
        this.embedding = addParameter(Parameter.builder().setName("embedding").setType(Parameter.Type.WEIGHT)
                .optShape(new Shape(codes, channels)).optInitializer(new NormalInitializer(1f)).build());
        for (int i = 0; i < layerCount; i++) {
            layers.add(addChildBlock("gated" + i, new GatedMaskedConv2d(channels, kernel, i == 0, options.conditionChannels())));
            if (options.attentionEvery() > 0 && (i + 1) % options.attentionEvery() == 0) {
                attention.put(i, addChildBlock("attention" + i, new CausalSelfAttention(channels, options.heads(), options.dropout(),
                        options.gridHeight(), options.gridWidth())));
            }
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
        NDArray grid = inputs.get(0);
        Shape shape = grid.getShape();
        NDArray table = store.getValue(embedding, grid.getDevice(), training);
        NDArray embedded = grid.reshape(-1).oneHot(codes).toType(table.getDataType(), false).matMul(table)
                .reshape(shape.get(0), shape.get(1), shape.get(2), channels).transpose(0, 3, 1, 2);
        NDList stacks = new NDList(embedded, embedded);
        for (int i = 0; i < layers.size(); i++) {
            if (options.conditionChannels() > 0) {
                stacks.add(inputs.get(1));
            }
            stacks = layers.get(i).forward(store, stacks, training);
            NDArray horizontal = stacks.get(1);
            if (attention.containsKey(i)) {
                horizontal = attention.get(i).forward(store, new NDList(horizontal), training).singletonOrThrow();
            }
            if (training && options.dropout() > 0) {
                horizontal = Dropout.dropout(horizontal, options.dropout(), true).singletonOrThrow();
            }
            stacks = new NDList(stacks.get(0), horizontal);
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
        Shape[] layerInputs = options.conditionChannels() > 0
                ? new Shape[] {features, features, new Shape(grid.get(0), options.conditionChannels(), grid.get(1), grid.get(2))}
                : new Shape[] {features, features};
        for (GatedMaskedConv2d layer : layers) {
            layer.initialize(manager, dataType, layerInputs);
        }
        for (CausalSelfAttention block : attention.values()) {
            block.initialize(manager, dataType, features);
        }
        head.initialize(manager, dataType, features);
    }
}
