package dev.latentserve.npy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;

/**
 * An npy array in memory: its header and its data, in the header's order and byte order. Values are read by their
 * C-order (row-major) index, whatever order the file holds them in.
 */
public record NpyArray(NpyHeader header, ByteBuffer data) {

    /**
     * Parses a whole npy file held in memory, without copying its data.
     *
     * @throws NpyException as {@link NpyHeader#read} does, and {@code MALFORMED} when the data is shorter or longer
     *     than the shape says
     */
    public static NpyArray read(byte[] bytes) {
        ByteArrayInputStream in = new ByteArrayInputStream(bytes);
        NpyHeader header;
        try {
            header = NpyHeader.read(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayInputStream does not fail
        }
        int start = bytes.length - in.available();
        long needed = header.dataBytes();
        if (needed > in.available()) {
            throw NpyHeader.truncated(needed, in.available());
        }
        if (needed < in.available()) {
            throw NpyException.malformed("npy file has " + (in.available() - needed)
                    + " bytes after the data its shape describes");
        }
        return new NpyArray(header, ByteBuffer.wrap(bytes, start, (int) needed).slice().order(header.dtype().order()));
    }

    public Dtype dtype() {
        return header.dtype();
    }

    public long[] shape() {
        return header.shape();
    }

    /** The position in {@link #data()}, in values, of the value at C-order index {@code index}. */
    public int dataIndex(long index) {
        if (!header.fortranOrder()) {
            return (int) index;
        }
        long[] shape = header.shape();
        long[] strides = header.strides();
        long rest = index;
        long at = 0;
        for (int axis = shape.length - 1; axis >= 0; axis--) {
            at += rest % shape[axis] * strides[axis];
            rest /= shape[axis];
        }
        return (int) at;
    }

    /** The value at C-order index {@code index} as a double; integer and bool values are converted. */
    public double doubleAt(long index) {
        Dtype dtype = header.dtype();
        int at = dataIndex(index);
        return dtype.kind() == Dtype.Kind.FLOAT ? dtype.floatAt(data, at) : dtype.integerAt(data, at);
    }

    /** The value at C-order index {@code index} of an integer or bool array; unsigned 64-bit values above 2^63 wrap. */
    public long integerAt(long index) {
        return header.dtype().integerAt(data, dataIndex(index));
    }

    /** The numpy index ({@code arr[i, j, k]}) of the value at C-order index {@code index}, for messages. */
    public String numpyIndex(long index) {
        return header.numpyIndex(dataIndex(index));
    }
}
