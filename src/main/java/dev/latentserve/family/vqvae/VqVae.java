package dev.latentserve.family.vqvae;

import static dev.latentserve.nn.ResidualStack.conv;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.latentserve.family.vq.CodebookLevel;
import dev.latentserve.family.vq.QuantizedAutoencoder;
import dev.latentserve.image.ImageShape;
import dev.latentserve.nn.ConvTranspose2d;
import dev.latentserve.nn.ResidualStack;
import dev.latentserve.nn.VectorQuantizer;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * VQ-VAE: a convolutional encoder to a grid of D-vectors, {@link VectorQuantizer}, and a decoder with
 * transposed convolutions back to the image; a {@link ResidualStack} on both sides, as in the paper. Forward
 * takes images and returns {@code (reconstruction, zq, codes, commitmentLoss, codebookLoss, flatZe, oneHot)}, which
 * {@link Output#of} names.
 */
final class VqVae extends AbstractBlock implements QuantizedAutoencoder {

    private static final byte VERSION = 1;

    private final ImageShape shape;
    private final VqVaeArchitecture architecture;
    private final SequentialBlock encoder;
    private final VectorQuantizer quantizer;
    private final SequentialBlock decoder;

    VqVae(ImageShape shape, VqVaeArchitecture architecture) {
        super(VERSION);
        this.shape = shape;
        this.architecture = architecture;
        int hidden = architecture.hiddenChannels();
        SequentialBlock enc = new SequentialBlock();
        for (int i = 0; i < architecture.downsamplings(); i++) {
            enc.add(conv(hidden, 4, 2, 1)).add(Activation.reluBlock());
        }
        int residual = architecture.residualChannels();
        int blocks = architecture.residualBlocks();
        enc.add(conv(hidden, 3, 1, 1)).add(ResidualStack.of(hidden, residual, blocks)).add(conv(architecture.codeDim(), 1, 1, 0));
        this.encoder = addChildBlock("encoder", enc);
        this.quantizer = addChildBlock("quantizer",
                new VectorQuantizer(architecture.codes(), architecture.codeDim(), architecture.codebook() == VqVaeArchitecture.CodebookMode.EMA));
        SequentialBlock dec = new SequentialBlock();
        dec.add(conv(hidden, 3, 1, 1)).add(ResidualStack.of(hidden, residual, blocks));
        for (int i = 0; i < architecture.downsamplings(); i++) {
            boolean last = i == architecture.downsamplings() - 1;
            dec.add(new ConvTranspose2d(hidden, last ? shape.channels() : hidden, 4, 2, 1, 0));
            if (!last) {
                dec.add(Activation.reluBlock());
            }
        }
        this.decoder = addChildBlock("decoder", dec);
    }

    /**
     * The forward pass's outputs by name.
     *
     * @param reconstruction (N, C, H, W), unclamped
     * @param quantized the quantiser's outputs for the (N, D, h, w) encoder outputs
     */
    record Output(NDArray reconstruction, VectorQuantizer.Output quantized) implements QuantizedAutoencoder.Output {

        /** Names the arrays that {@link VqVae#forward} returns. */
        static Output of(NDList output) {
            return new Output(output.get(0), VectorQuantizer.Output.of(output, 1));
        }

        @Override
        public List<VectorQuantizer.Output> levels() {
            return List.of(quantized);
        }
    }

    @Override
    public ImageShape imageShape() {
        return shape;
    }

    /** The one level of codes, unnamed, on the (h, w) grid. */
    @Override
    public List<CodebookLevel> levels() {
        return List.of(new CodebookLevel("", quantizer, architecture.gridHeight(shape), architecture.gridWidth(shape)));
    }

    @Override
    public Output output(NDList forward) {
        return Output.of(forward);
    }

    /** The code map (N, h, w) as int64, in a list of one. */
    @Override
    public NDList encodeCodes(ParameterStore store, NDArray images) {
        return new NDList(quantizer.encode(encode(store, images, false)));
    }

    VqVaeArchitecture architecture() {
        return architecture;
    }

    VectorQuantizer quantizer() {
        return quantizer;
    }

    /** The decoder's parameters, the only ones a decoder fine-tuning updates. */
    Set<Parameter> decoderParameters() {
        return new HashSet<>(decoder.getParameters().values());
    }

    /** Encoder outputs z_e, (N, D, h, w). */
    NDArray encode(ParameterStore store, NDArray images, boolean training) {
        return encoder.forward(store, new NDList(images), training).singletonOrThrow();
    }

    /** Reconstruction (N, C, H, W) from quantised vectors (N, D, h, w); unbounded, clamp to show. */
    NDArray decode(ParameterStore store, NDArray quantized, boolean training) {
        return decoder.forward(store, new NDList(quantized), training).singletonOrThrow();
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray ze = encode(store, inputs.singletonOrThrow(), training);
        NDList quantized = quantizer.forward(store, new NDList(ze), training);
        NDArray reconstruction = decode(store, quantized.get(0), training);
        NDList result = new NDList(reconstruction);
        result.addAll(quantized);
        return result;
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputs) {
        Shape zeShape = encoder.getOutputShapes(inputs)[0];
        Shape[] quantized = quantizer.getOutputShapes(new Shape[] {zeShape});
        Shape[] all = new Shape[1 + quantized.length];
        all[0] = inputs[0];
        System.arraycopy(quantized, 0, all, 1, quantized.length);
        return all;
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        encoder.initialize(manager, dataType, inputShapes[0]);
        Shape zeShape = encoder.getOutputShapes(new Shape[] {inputShapes[0]})[0];
        quantizer.initialize(manager, dataType, zeShape);
        decoder.initialize(manager, dataType, zeShape);
    }
}
