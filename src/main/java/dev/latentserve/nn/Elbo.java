package dev.latentserve.nn;

import ai.djl.ndarray.NDArray;

/**
 * The evidence lower bound of Kingma and Welling (2014), per image and in nats:
 * {@code ELBO = E_q[log p(x|z)] - KL(q(z|x) || N(0, I))}. Training minimises {@code -ELBO}.
 */
public final class Elbo {

    private static final double LOG_TWO_PI = Math.log(2 * Math.PI);

    private Elbo() {
    }

    /**
     * Closed-form {@code KL(N(mu, diag(exp(logVar))) || N(0, I)) = -1/2 sum(1 + logVar - mu^2 - exp(logVar))}
     * (Kingma and Welling, appendix B), one value per row.
     */
    public static NDArray klToStandardNormal(NDArray mean, NDArray logVariance) {
        return logVariance.add(1).sub(mean.square()).sub(logVariance.exp()).sum(new int[] {1}).mul(Scoped.scalar(mean, -0.5));
    }

    /** Reparameterisation {@code z = mu + sigma * eps}: the sample stays differentiable in mu and logVar. */
    public static NDArray reparameterize(NDArray mean, NDArray logVariance, NDArray epsilon) {
        return mean.add(logVariance.mul(Scoped.scalar(logVariance, 0.5)).exp().mul(epsilon));
    }

    /**
     * {@code -log p(x|z)} for a Bernoulli likelihood with logits {@code l}, summed over pixels per image:
     * {@code softplus(l) - x*l}, in the overflow-free form {@code max(l,0) - x*l + log(1 + exp(-|l|))}.
     */
    public static NDArray bernoulliNll(NDArray logits, NDArray target) {
        NDArray perPixel = logits.maximum(Scoped.scalar(logits, 0)).sub(target.mul(logits))
                .add(logits.abs().neg().exp().add(1).log());
        return sumPerImage(perPixel);
    }

    /** {@code -log N(x; mean, sigma^2 I)}, summed over pixels per image. */
    public static NDArray gaussianNll(NDArray mean, NDArray target, double sigma) {
        long pixels = mean.getShape().size() / mean.getShape().get(0);
        double constant = pixels * (Math.log(sigma) + 0.5 * LOG_TWO_PI);
        return sumPerImage(target.sub(mean).square()).div(Scoped.scalar(mean, 2 * sigma * sigma)).add(constant);
    }

    private static NDArray sumPerImage(NDArray perPixel) {
        return perPixel.reshape(perPixel.getShape().get(0), -1).sum(new int[] {1});
    }
}
