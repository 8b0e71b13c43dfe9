/**
 * VQ-VAE-2 (Razavi et al. 2019): a top and a bottom code map, an attention top prior and a bottom prior
 * conditioned on the top codes; training, prior fitting and serving of both levels.
 */
@NullMarked
package dev.latentserve.family.vqvae2;

import org.jspecify.annotations.NullMarked;
