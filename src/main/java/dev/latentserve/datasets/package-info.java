/** Dataset uploads (IDX, zip of PNG/JPEG, npy): parsing, validation, storage and the HTTP API. */
@NullMarked
package dev.latentserve.datasets;

import org.jspecify.annotations.NullMarked;
