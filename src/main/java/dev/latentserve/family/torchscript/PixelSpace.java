package dev.latentserve.family.torchscript;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import dev.latentserve.family.torchscript.Descriptor.DecoderOutput;
import dev.latentserve.family.torchscript.Descriptor.Likelihood;
import dev.latentserve.nn.Elbo;

/**
 * Between pixels in [0, 1] and what an imported version's modules take and answer: the descriptor's normalisation
 * (x - mean) / std per channel on the way in, and its decoder output kind on the way out. Every array made here belongs
 * to the scope of the arrays given.
 */
record PixelSpace(Descriptor descriptor) {

    /** Pixels (N, C, H, W) in [0, 1] as the encoder takes them: (x - mean) / std per channel. */
    NDArray normalise(NDArray pixels) {
        NDManager scope = pixels.getManager();
        return pixels.sub(perChannel(scope, descriptor.mean())).div(perChannel(scope, descriptor.std()));
    }

    /**
     * The decoder's answer (N, C, H, W) as pixels in [0, 1]: the sigmoid of Bernoulli logits; a Gaussian mean or an
     * image in the normalised space mapped back, out * std + mean, and clamped.
     */
    NDArray pixels(NDArray decoded) {
        if (descriptor.decoderOutput() == DecoderOutput.BERNOULLI_LOGITS) {
            return Activation.sigmoid(decoded);
        }
        NDManager scope = decoded.getManager();
        return decoded.mul(perChannel(scope, descriptor.std())).add(perChannel(scope, descriptor.mean())).clip(0, 1);
    }

    /**
     * {@code -log p(x|z)} per image, in nats, of pixels x in [0, 1] under the decoder's answer for z: Bernoulli with its
     * logits over the pixels as they are, or N(out, sigma^2 I) over the normalised pixels.
     */
    NDArray negativeLogLikelihood(Likelihood likelihood, NDArray decoded, NDArray pixels) {
        return switch (likelihood) {
            case Likelihood.Bernoulli b -> Elbo.bernoulliNll(decoded, pixels);
            case Likelihood.Gaussian g -> Elbo.gaussianNll(decoded, normalise(pixels), g.sigma());
        };
    }

    private NDArray perChannel(NDManager scope, double[] values) {
        float[] floats = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            floats[i] = (float) values[i];
        }
        return scope.create(floats, new Shape(1, values.length, 1, 1));
    }
}
