package dev.latentserve.family.vqvae2;

import static dev.latentserve.nn.ResidualStack.conv;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.latentserve.family.vq.CodebookLevel;
import dev.latentserve.family.vq.QuantizedAutoencoder;
import dev.latentserve.family.vqvae2.VqVae2Architecture.Padding;
import dev.latentserve.image.ImageShape;
import dev.latentserve.nn.ConvTranspose2d;
import dev.latentserve.nn.ResidualStack;
import dev.latentserve.nn.VectorQuantizer;
import java.util.List;

/**
 * The VQ-VAE-2 of Razavi et al. (2019), section 3.1, after the authors' reference design:
 * <ol>
 *   <li>the bottom encoder (two 4x4 stride-2 convolutions, a 3x3 one, a {@link ResidualStack}) turns the padded
 *       image into features at a quarter of its size;</li>
 *   <li>the top encoder halves those once more; a 1x1 convolution maps them to D_top and the top
 *       {@link VectorQuantizer} quantises them;</li>
 *   <li>the top decoder (3x3, residual stack, a 4x4 stride-2 {@link ConvTranspose2d}) brings the quantised top map to the
 *       bottom's size; it is concatenated with the bottom encoder's features, mapped to D_bottom by a 1x1 convolution
 *       and quantised with the bottom codebook;</li>
 *   <li>the decoder takes both levels, the top one upsampled by a transposed convolution and concatenated with the
 *       bottom one, and reconstructs the padded image (3x3, residual stack, two transposed convolutions), which is
 *       cropped back to the input size.</li>
 * </ol>
 * Forward takes images and returns {@code (reconstruction, top..., bottom...)} where each level contributes the six
 * outputs of {@link VectorQuantizer#forward}: {@code (zq, codes, commitment, codebookLoss, flatZe, oneHot)};
 * {@link Output#of} names them.
 */
final class VqVae2 extends AbstractBlock implements QuantizedAutoencoder {

    private static final byte VERSION = 1;
    /** Where each level's quantiser outputs start in the forward pass's list. */
    private static final int TOP = 1;
    private static final int BOTTOM = TOP + VectorQuantizer.Output.SIZE;

    private final ImageShape shape;
    private final VqVae2Architecture architecture;
    private final Padding padding;
    private final SequentialBlock bottomEncoder;
    private final SequentialBlock topEncoder;
    private final Conv2d topPreQuantization;
    private final VectorQuantizer topQuantizer;
    private final SequentialBlock topDecoder;
    private final Conv2d bottomPreQuantization;
    private final VectorQuantizer bottomQuantizer;
    private final ConvTranspose2d topUpsampling;
    private final SequentialBlock decoder;

    VqVae2(ImageShape shape, VqVae2Architecture architecture) {
        super(VERSION);
        this.shape = shape;
        this.architecture = architecture;
        this.padding = architecture.padding(shape);
        int hidden = architecture.hiddenChannels();
        int residual = architecture.residualChannels();
        int blocks = architecture.residualBlocks();
        this.bottomEncoder = addChildBlock("bottomEncoder", new SequentialBlock()
                .add(conv(hidden, 4, 2, 1)).add(Activation.reluBlock())
                .add(conv(hidden, 4, 2, 1)).add(Activation.reluBlock())
                .add(conv(hidden, 3, 1, 1)).add(ResidualStack.of(hidden, residual, blocks)));
        this.topEncoder = addChildBlock("topEncoder", new SequentialBlock()
                .add(conv(hidden, 4, 2, 1)).add(Activation.reluBlock())
                .add(conv(hidden, 3, 1, 1)).add(ResidualStack.of(hidden, residual, blocks)));
        this.topPreQuantization = addChildBlock("topPreQuantization", conv(architecture.topCodeDim(), 1, 1, 0));
        this.topQuantizer = addChildBlock("topQuantizer",
                new VectorQuantizer(architecture.topCodes(), architecture.topCodeDim(), architecture.ema()));
        this.topDecoder = addChildBlock("topDecoder", new SequentialBlock()
                .add(conv(hidden, 3, 1, 1)).add(ResidualStack.of(hidden, residual, blocks))
                .add(new ConvTranspose2d(hidden, architecture.topCodeDim(), 4, 2, 1, 0)));
        this.bottomPreQuantization = addChildBlock("bottomPreQuantization", conv(architecture.bottomCodeDim(), 1, 1, 0));
        this.bottomQuantizer = addChildBlock("bottomQuantizer",
                new VectorQuantizer(architecture.bottomCodes(), architecture.bottomCodeDim(), architecture.ema()));
        this.topUpsampling = addChildBlock("topUpsampling",
                new ConvTranspose2d(architecture.topCodeDim(), architecture.topCodeDim(), 4, 2, 1, 0));
        this.decoder = addChildBlock("decoder", new SequentialBlock()
                .add(conv(hidden, 3, 1, 1)).add(ResidualStack.of(hidden, residual, blocks))
                .add(new ConvTranspose2d(hidden, hidden, 4, 2, 1, 0)).add(Activation.reluBlock())
                .add(new ConvTranspose2d(hidden, shape.channels(), 4, 2, 1, 0)));
    }

    /**
     * The forward pass's outputs by name.
     *
     * @param reconstruction (N, C, H, W), cropped to the input size, unclamped
     * @param top the top quantiser's outputs, on the (h/8, w/8) grid of the padded image
     * @param bottom the bottom quantiser's outputs, on the (h/4, w/4) grid
     */
    record Output(NDArray reconstruction, VectorQuantizer.Output top, VectorQuantizer.Output bottom)
            implements QuantizedAutoencoder.Output {

        /** Names the arrays that {@link VqVae2#forward} returns. */
        static Output of(NDList output) {
            return new Output(output.get(0), VectorQuantizer.Output.of(output, TOP), VectorQuantizer.Output.of(output, BOTTOM));
        }

        @Override
        public List<VectorQuantizer.Output> levels() {
            return List.of(top, bottom);
        }
    }

    @Override
    public ImageShape imageShape() {
        return shape;
    }

    /** The top level, then the bottom one, named as in {@link PriorArchitectures}. */
    @Override
    public List<CodebookLevel> levels() {
        List<Integer> top = architecture.topGrid(shape);
        List<Integer> bottom = architecture.bottomGrid(shape);
        return List.of(new CodebookLevel(PriorArchitectures.TOP, topQuantizer, top.get(0), top.get(1)),
                new CodebookLevel(PriorArchitectures.BOTTOM, bottomQuantizer, bottom.get(0), bottom.get(1)));
    }

    @Override
    public Output output(NDList forward) {
        return Output.of(forward);
    }

    VqVae2Architecture architecture() {
        return architecture;
    }

    VectorQuantizer topQuantizer() {
        return topQuantizer;
    }

    VectorQuantizer bottomQuantizer() {
        return bottomQuantizer;
    }

    /** Images (N, C, H, W) padded with zeros to sides divisible by 8. */
    NDArray pad(NDArray images) {
        return padding.isNone() ? images : images.pad(new Shape(padding.left(), padding.right(), padding.top(), padding.bottom()), 0);
    }

    /** The input-sized window of a padded image batch. */
    NDArray crop(NDArray padded) {
        if (padding.isNone()) {
            return padded;
        }
        return padded.get(new NDIndex(":, :, {}:{}, {}:{}", padding.top(), padding.top() + shape.height(), padding.left(),
                padding.left() + shape.width()));
    }

    /** Both levels' code maps, {@code (top (N, h/8, w/8), bottom (N, h/4, w/4))} as int64, without gradients. */
    @Override
    public NDList encodeCodes(ParameterStore store, NDArray images) {
        NDList ze = encodeVectors(store, images);
        return new NDList(topQuantizer.encode(ze.get(0)), bottomQuantizer.encode(ze.get(1)));
    }

    /**
     * Both levels' encoder outputs before quantisation, {@code (top (N, D_top, h/8, w/8), bottom (N, D_bottom, h/4,
     * w/4))}: the bottom one computed, as in encoding, from the quantised top map.
     */
    NDList encodeVectors(ParameterStore store, NDArray images) {
        NDArray features = bottomEncoder.forward(store, new NDList(pad(images)), false).singletonOrThrow();
        NDArray topZe = topPreQuantization.forward(store, topEncoder.forward(store, new NDList(features), false), false)
                .singletonOrThrow();
        NDArray bottomZe = bottomZe(store, topQuantizer.lookup(topQuantizer.encode(topZe)), features, false);
        return new NDList(topZe, bottomZe);
    }

    /** Reconstructions (N, C, H, W), unclamped, from both levels' code maps. */
    NDArray decodeCodes(ParameterStore store, NDArray topCodes, NDArray bottomCodes) {
        return decode(store, topQuantizer.lookup(topCodes), bottomQuantizer.lookup(bottomCodes), false);
    }

    private NDArray bottomZe(ParameterStore store, NDArray topQuantized, NDArray features, boolean training) {
        NDArray decodedTop = topDecoder.forward(store, new NDList(topQuantized), training).singletonOrThrow();
        return bottomPreQuantization.forward(store, new NDList(NDArrays.concat(new NDList(decodedTop, features), 1)), training)
                .singletonOrThrow();
    }

    private NDArray decode(ParameterStore store, NDArray topQuantized, NDArray bottomQuantized, boolean training) {
        NDArray upsampled = topUpsampling.forward(store, new NDList(topQuantized), training).singletonOrThrow();
        return crop(decoder.forward(store, new NDList(NDArrays.concat(new NDList(upsampled, bottomQuantized), 1)), training)
                .singletonOrThrow());
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray features = bottomEncoder.forward(store, new NDList(pad(inputs.singletonOrThrow())), training).singletonOrThrow();
        NDList topZe = topPreQuantization.forward(store, topEncoder.forward(store, new NDList(features), training), training);
        NDList top = topQuantizer.forward(store, topZe, training);
        NDList bottom = bottomQuantizer.forward(store, new NDList(bottomZe(store, top.get(0), features, training)), training);
        NDList result = new NDList(decode(store, top.get(0), bottom.get(0), training));
        result.addAll(top);
        result.addAll(bottom);
        return result;
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputs) {
        long n = inputs[0].get(0);
        ImageShape padded = padding.padded(shape);
        Shape[] top = topQuantizer.getOutputShapes(new Shape[] {
                new Shape(n, architecture.topCodeDim(), padded.height() / 8, padded.width() / 8)});
        Shape[] bottom = bottomQuantizer.getOutputShapes(new Shape[] {
                new Shape(n, architecture.bottomCodeDim(), padded.height() / 4, padded.width() / 4)});
        Shape[] all = new Shape[1 + top.length + bottom.length];
        all[0] = inputs[0];
        System.arraycopy(top, 0, all, TOP, top.length);
        System.arraycopy(bottom, 0, all, BOTTOM, bottom.length);
        return all;
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        long n = inputShapes[0].get(0);
        ImageShape padded = padding.padded(shape);
        int hidden = architecture.hiddenChannels();
        int topDim = architecture.topCodeDim();
        int bottomDim = architecture.bottomCodeDim();
        long bottomHeight = padded.height() / 4;
        long bottomWidth = padded.width() / 4;
        Shape features = new Shape(n, hidden, bottomHeight, bottomWidth);
        Shape topFeatures = new Shape(n, hidden, bottomHeight / 2, bottomWidth / 2);
        Shape topZe = new Shape(n, topDim, bottomHeight / 2, bottomWidth / 2);
        bottomEncoder.initialize(manager, dataType, new Shape(n, shape.channels(), padded.height(), padded.width()));
        topEncoder.initialize(manager, dataType, features);
        topPreQuantization.initialize(manager, dataType, topFeatures);
        topQuantizer.initialize(manager, dataType, topZe);
        topDecoder.initialize(manager, dataType, topZe);
        bottomPreQuantization.initialize(manager, dataType, new Shape(n, topDim + hidden, bottomHeight, bottomWidth));
        bottomQuantizer.initialize(manager, dataType, new Shape(n, bottomDim, bottomHeight, bottomWidth));
        topUpsampling.initialize(manager, dataType, topZe);
        decoder.initialize(manager, dataType, new Shape(n, topDim + bottomDim, bottomHeight, bottomWidth));
    }
}
