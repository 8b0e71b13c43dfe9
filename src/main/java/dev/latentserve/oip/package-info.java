/**
 * The Open Inference Protocol (KServe V2 REST): health, server and model metadata, and inference with JSON or binary
 * tensors, on top of the same inference service, batchers, limits and metrics as {@code /v1}.
 */
@NullMarked
package dev.latentserve.oip;

import org.jspecify.annotations.NullMarked;
