/** VQ-VAE: encoder, vector quantiser with EMA codebook, decoder; training and serving of code grids. */
@NullMarked
package dev.latentserve.family.vqvae;

import org.jspecify.annotations.NullMarked;
