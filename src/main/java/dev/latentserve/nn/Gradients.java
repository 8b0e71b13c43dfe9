package dev.latentserve.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.util.Pair;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.List;

/** Checks on the gradients that a backward pass left in a block's parameters. */
public final class Gradients {

    private Gradients() {
    }

    /**
     * The names of the parameters whose gradients hold a NaN or an infinity, in the block's order; empty when all are
     * finite. One flag per parameter comes back from the engine, so the check costs one transfer per step.
     *
     * @param scope a manager for the temporaries, closed by the caller
     */
    public static List<String> nonFinite(PairList<String, Parameter> parameters, NDManager scope) {
        List<NDArray> flags = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (Pair<String, Parameter> parameter : parameters) {
            if (parameter.getValue().requiresGradient()) {
                // The gradient's handle belongs to the model's manager: close it here, or every call leaks one.
                try (NDArray gradient = parameter.getValue().getArray().getGradient()) {
                    NDArray local = Scoped.local(gradient, scope);
                    flags.add(local.isNaN().logicalOr(local.isInfinite()).any());
                    names.add(parameter.getKey());
                }
            }
        }
        List<String> bad = new ArrayList<>();
        if (flags.isEmpty()) {
            return bad;
        }
        boolean[] any = NDArrays.stack(new NDList(flags)).toBooleanArray();
        for (int i = 0; i < any.length; i++) {
            if (any[i]) {
                bad.add(names.get(i));
            }
        }
        return bad;
    }

    /** Sets every parameter's gradient to zero, dropping what a backward pass accumulated. */
    public static void clear(PairList<String, Parameter> parameters) {
        parameters.values().forEach(p -> JniUtils.zeroGrad((PtNDArray) p.getArray()));
    }
}
