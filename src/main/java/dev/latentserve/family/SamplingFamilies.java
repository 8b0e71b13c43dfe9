package dev.latentserve.family;

import dev.latentserve.family.vqvae.VqVaeFamily;
import dev.latentserve.family.vqvae2.VqVae2Family;

/**
 * The families with autoregressive priors, built with sampling settings of the caller's choice outside the Spring
 * context: the sampling benchmark compares the incremental sampler with the full pass on the same weights. The
 * service itself gets its families as beans, configured by {@code latentserve.sampling}.
 */
public final class SamplingFamilies {

    private SamplingFamilies() {
    }

    /** A VQ-VAE family that samples as {@code sampling} says. */
    public static ModelFamily vqvae(SamplingProperties sampling) {
        return new VqVaeFamily(sampling);
    }

    /** A VQ-VAE-2 family that samples as {@code sampling} says. */
    public static ModelFamily vqvae2(SamplingProperties sampling) {
        return new VqVae2Family(sampling);
    }
}
