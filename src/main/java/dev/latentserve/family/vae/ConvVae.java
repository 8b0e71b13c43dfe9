package dev.latentserve.family.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Blocks;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.latentserve.image.ImageShape;
import dev.latentserve.nn.ConvTranspose2d;
import dev.latentserve.nn.Elbo;
import java.util.List;

/**
 * Convolutional VAE (Kingma and Welling 2014): a Gaussian encoder q(z|x) with mean and log-variance
 * heads, and a decoder whose output is the Bernoulli logits (or the pre-sigmoid Gaussian mean) of
 * every pixel. Forward takes {@code (x, epsilon)} and returns {@code (decoderOutput, mean, logVariance)}.
 */
final class ConvVae extends AbstractBlock {

    private static final byte VERSION = 1;

    private final ImageShape shape;
    private final VaeArchitecture architecture;
    private final SequentialBlock encoder;
    private final Linear meanHead;
    private final Linear logVarianceHead;
    private final SequentialBlock decoder;

    ConvVae(ImageShape shape, VaeArchitecture architecture) {
        super(VERSION);
        this.shape = shape;
        this.architecture = architecture;
        List<Integer> channels = architecture.channels();
        int gridH = shape.height() / architecture.downsampling();
        int gridW = shape.width() / architecture.downsampling();
        int last = channels.getLast();

        SequentialBlock enc = new SequentialBlock();
        for (int c : channels) {
            enc.add(Conv2d.builder().setKernelShape(new Shape(4, 4)).optStride(new Shape(2, 2)).optPadding(new Shape(1, 1))
                    .setFilters(c).build());
            enc.add(Activation.reluBlock());
        }
        enc.add(Blocks.batchFlattenBlock());
        enc.add(Linear.builder().setUnits(architecture.hiddenDim()).build());
        enc.add(Activation.reluBlock());
        this.encoder = addChildBlock("encoder", enc);
        this.meanHead = addChildBlock("mean", Linear.builder().setUnits(architecture.latentDim()).build());
        this.logVarianceHead = addChildBlock("logVariance", Linear.builder().setUnits(architecture.latentDim()).build());

        SequentialBlock dec = new SequentialBlock();
        dec.add(Linear.builder().setUnits(architecture.hiddenDim()).build());
        dec.add(Activation.reluBlock());
        dec.add(Linear.builder().setUnits((long) last * gridH * gridW).build());
        dec.add(Activation.reluBlock());
        dec.add(new LambdaBlock(list -> new NDList(list.singletonOrThrow().reshape(-1, last, gridH, gridW)), "unflatten"));
        for (int i = channels.size() - 1; i >= 0; i--) {
            int in = channels.get(i);
            int out = i == 0 ? shape.channels() : channels.get(i - 1);
            dec.add(new ConvTranspose2d(in, out, 4, 2, 1, 0));
            if (i > 0) {
                dec.add(Activation.reluBlock());
            }
        }
        this.decoder = addChildBlock("decoder", dec);
    }

    /**
     * The forward pass's outputs by name.
     *
     * @param decoderOutput p(x|z) parameters before the sigmoid, (N, C, H, W)
     * @param mean the posterior mean, (N, latentDim)
     * @param logVariance the posterior log-variance, (N, latentDim)
     */
    record Output(NDArray decoderOutput, NDArray mean, NDArray logVariance) {

        /** Names the {@code (decoderOutput, mean, logVariance)} that {@link ConvVae#forward} returns. */
        static Output of(NDList output) {
            return new Output(output.get(0), output.get(1), output.get(2));
        }
    }

    ImageShape imageShape() {
        return shape;
    }

    VaeArchitecture architecture() {
        return architecture;
    }

    /** q(z|x): {@code (mean, logVariance)}, each N x latentDim. */
    NDList encode(ParameterStore store, NDArray images, boolean training) {
        NDList hidden = encoder.forward(store, new NDList(images), training);
        NDArray mean = meanHead.forward(store, hidden, training).singletonOrThrow();
        NDArray logVariance = logVarianceHead.forward(store, hidden, training).singletonOrThrow();
        return new NDList(mean, logVariance);
    }

    /** p(x|z) parameters before the sigmoid, N x C x H x W. */
    NDArray decode(ParameterStore store, NDArray latents, boolean training) {
        return decoder.forward(store, new NDList(latents), training).singletonOrThrow();
    }

    /** Per-image {@code -log p(x|z)} in nats under the configured likelihood. */
    NDArray reconstructionNll(NDArray decoderOutput, NDArray images) {
        return switch (architecture.likelihood()) {
            case BERNOULLI -> Elbo.bernoulliNll(decoderOutput, images);
            case GAUSSIAN -> Elbo.gaussianNll(Activation.sigmoid(decoderOutput), images, architecture.sigma());
        };
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray images = inputs.get(0);
        NDArray epsilon = inputs.get(1);
        NDList posterior = encode(store, images, training);
        NDArray z = Elbo.reparameterize(posterior.get(0), posterior.get(1), epsilon);
        NDArray output = decode(store, z, training);
        return new NDList(output, posterior.get(0), posterior.get(1));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputs) {
        long n = inputs[0].get(0);
        Shape latent = new Shape(n, architecture.latentDim());
        return new Shape[] {new Shape(n, shape.channels(), shape.height(), shape.width()), latent, latent};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape images = inputShapes[0];
        encoder.initialize(manager, dataType, images);
        Shape hidden = encoder.getOutputShapes(new Shape[] {images})[0];
        meanHead.initialize(manager, dataType, hidden);
        logVarianceHead.initialize(manager, dataType, hidden);
        decoder.initialize(manager, dataType, new Shape(images.get(0), architecture.latentDim()));
    }
}
