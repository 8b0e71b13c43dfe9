/** The convolutional variational autoencoder: architecture, block, training loop and serving. */
@NullMarked
package dev.latentserve.family.vae;

import org.jspecify.annotations.NullMarked;
