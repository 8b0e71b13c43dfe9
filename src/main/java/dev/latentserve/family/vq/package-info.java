/**
 * What the vector-quantised families (VQ-VAE, VQ-VAE-2) share: the codebook objective and its statistics per level,
 * evaluation, encoding datasets to code maps, and fitting a prior to each level's codes.
 */
@NullMarked
package dev.latentserve.family.vq;

import org.jspecify.annotations.NullMarked;
