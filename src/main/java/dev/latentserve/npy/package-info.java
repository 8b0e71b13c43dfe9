/** NumPy's {@code .npy} arrays and {@code .npz} archives: one parser and one writer, for dataset uploads and inference. */
@NullMarked
package dev.latentserve.npy;

import org.jspecify.annotations.NullMarked;
