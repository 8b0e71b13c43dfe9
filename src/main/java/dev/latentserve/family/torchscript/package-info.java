/**
 * The torchscript family: VAEs and VQ-VAEs trained elsewhere, imported as TorchScript modules with a descriptor, checked
 * on probe batches, and served, sampled and given priors like the families trained here.
 */
@NullMarked
package dev.latentserve.family.torchscript;

import org.jspecify.annotations.NullMarked;
