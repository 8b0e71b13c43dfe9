package dev.latentserve.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * DJL attaches the result of {@code a.op(b)} to {@code a}'s manager. An operation that starts from a parameter
 * (reshape, transpose, square of a weight) therefore leaves its result in the model's manager, which lives as
 * long as the model: a native leak on every forward pass. Blocks take their parameters through {@link #local}
 * first, so every derived array belongs to the request's or step's scope and is freed with it.
 *
 * <p>Scalars in a differentiable graph come from {@link #scalar}: DJL's {@code a.div(2.0)}, {@code a.mul(0.5)} and
 * {@code a.maximum(0)} wrap the number in an array over a Java buffer and close it right after the operation, while
 * autograd keeps the tensor for the backward pass; once the buffer is collected, the backward pass reads freed memory
 * and the gradient is garbage, infinite or NaN (the rare NaN gradients of the VQ-VAE-2 top prior).
 */
public final class Scoped {

    private Scoped() {
    }

    /** {@code parameter} as an array owned by {@code scope}: 1 * parameter, differentiable like the parameter. */
    public static NDArray local(NDArray parameter, NDManager scope) {
        return scope.create(1f).toType(parameter.getDataType(), false).toDevice(parameter.getDevice(), false).mul(parameter);
    }

    /** {@code value} as a scalar array of {@code like}'s type and device, owned by {@code like}'s manager. */
    public static NDArray scalar(NDArray like, double value) {
        return like.getManager().create((float) value).toType(like.getDataType(), false).toDevice(like.getDevice(), false);
    }
}
