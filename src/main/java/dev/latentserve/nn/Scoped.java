package dev.latentserve.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * DJL attaches the result of {@code a.op(b)} to {@code a}'s manager. An operation that starts from a parameter
 * (reshape, transpose, square of a weight) therefore leaves its result in the model's manager, which lives as
 * long as the model: a native leak on every forward pass. Blocks take their parameters through {@link #local}
 * first, so every derived array belongs to the request's or step's scope and is freed with it.
 */
public final class Scoped {

    private Scoped() {
    }

    /** {@code parameter} as an array owned by {@code scope}: 1 * parameter, differentiable like the parameter. */
    public static NDArray local(NDArray parameter, NDManager scope) {
        return scope.create(1f).toType(parameter.getDataType(), false).toDevice(parameter.getDevice(), false).mul(parameter);
    }
}
