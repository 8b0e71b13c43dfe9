package dev.latentserve.oip;

import java.util.Arrays;

/**
 * One named tensor of a request or response, row-major: FP32 values as floats, the integer types as longs. The shape's
 * product is the number of values.
 */
sealed interface Tensor permits Tensor.Floats, Tensor.Integers {

    String name();

    Datatype datatype();

    int[] shape();

    /** Values in row-major order. */
    int size();

    /** Values per row: the product of every dimension but the first (1 for a tensor of rank 0 or 1). */
    default int rowSize() {
        int[] shape = shape();
        int size = 1;
        for (int i = 1; i < shape.length; i++) {
            size *= shape[i];
        }
        return size;
    }

    /** The first dimension: the batch, for every tensor this service exchanges but sample's scalars. */
    default int rows() {
        return shape().length == 0 ? 1 : shape()[0];
    }

    static String describe(int[] shape) {
        return Arrays.toString(shape);
    }

    /** An FP32 tensor. */
    record Floats(String name, int[] shape, float[] values) implements Tensor {

        @Override
        public Datatype datatype() {
            return Datatype.FP32;
        }

        @Override
        public int size() {
            return values.length;
        }

        /** Row {@code i} of {@link #rowSize()} values. */
        float[] row(int i) {
            int n = rowSize();
            return Arrays.copyOfRange(values, i * n, (i + 1) * n);
        }
    }

    /** A UINT8, INT32 or INT64 tensor. */
    record Integers(String name, Datatype datatype, int[] shape, long[] values) implements Tensor {

        @Override
        public int size() {
            return values.length;
        }
    }
}
