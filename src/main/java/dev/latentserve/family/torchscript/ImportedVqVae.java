package dev.latentserve.family.torchscript;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.latentserve.family.PriorSampler;
import dev.latentserve.family.vq.CodeGridModel;
import dev.latentserve.image.ImageShape;
import dev.latentserve.nn.VectorQuantizer;
import org.jspecify.annotations.Nullable;

/**
 * An imported VQ-VAE held for serving: TorchScript encoder and decoder around the codebook of {@code codebook.npy}
 * ({@link CodeGridModel} does the rest, as for a VQ-VAE trained here). Encoding quantises z_e to the nearest code of each
 * grid position (squared Euclidean distance, the lowest index on a tie); decoding looks the codes up in the codebook and
 * runs the decoder on the vectors; sampling draws code grids from the fitted gated PixelCNN prior in raster order.
 */
final class ImportedVqVae extends CodeGridModel {

    private final Descriptor descriptor;
    private final TorchScriptModule encoder;
    private final TorchScriptModule decoder;
    private final PixelSpace pixels;

    /**
     * @param quantizer the codebook, its arrays owned by the encoder's model
     * @param prior the fitted prior's model, or null before a prior is fitted
     * @param incremental whether to sample incrementally ({@link PriorSampler}) or by the full pass
     */
    ImportedVqVae(Descriptor descriptor, TorchScriptModule encoder, TorchScriptModule decoder, VectorQuantizer quantizer,
            @Nullable Model prior, boolean incremental) {
        super(quantizer, prior, incremental, descriptor.latentShape().get(0), descriptor.latentShape().get(1), encoder.model(),
                decoder.model(), prior);
        this.descriptor = descriptor;
        this.encoder = encoder;
        this.decoder = decoder;
        this.pixels = new PixelSpace(descriptor);
    }

    @Override
    public ImageShape shape() {
        return descriptor.inputShape();
    }

    /** z_e (n, D, h, w) of pixels (n, C, H, W), through the descriptor's input normalisation. */
    @Override
    protected NDArray encoderOutputs(NDManager scope, NDArray pixelBatch, int n) {
        return Answers.encoderOutputs(descriptor, quantizer().dimension(), encoder.forward(scope, pixels.normalise(pixelBatch)), n);
    }

    @Override
    protected NDArray decodeToPixels(NDManager scope, NDArray quantized, int n) {
        return pixels.pixels(Answers.decoded(descriptor, decoder.forward(scope, quantized), n));
    }

    /**
     * The imported encoder's downsampling factor, taken as image side / grid side rounded up (the larger of the two
     * axes), so that a code is kept only when at least its share of the image is known.
     */
    @Override
    protected int footprint() {
        return Math.max(Math.ceilDiv(shape().height(), gridHeight), Math.ceilDiv(shape().width(), gridWidth));
    }

    /** The codes (n, h, w) as int64 of pixels (n, C, H, W). */
    NDArray codes(NDManager scope, NDArray pixelBatch) {
        long n = pixelBatch.getShape().get(0);
        return quantizer().encode(encoderOutputs(scope, pixelBatch, (int) n));
    }
}
