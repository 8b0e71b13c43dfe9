package dev.latentserve.npy;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/**
 * The header of an npy file, versions 1 to 3, as {@code np.save} writes it: the magic string, the version, and a
 * Python dict literal with {@code descr} (the dtype), {@code fortran_order} and {@code shape}. The data follows it.
 *
 * @param shape the array's dimensions, outermost first; each at least 0
 * @param fortranOrder whether the first axis varies fastest in the data (else the last: C order)
 */
public record NpyHeader(Dtype dtype, boolean fortranOrder, long[] shape) {

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final int MAX_HEADER_BYTES = 65_536;
    /** numpy pads the header so that the data starts at a multiple of this (64 since numpy 1.14's 16, read either way). */
    private static final int ALIGNMENT = 64;

    /** Whether {@code head}, a file's first bytes, starts with npy's magic string. */
    public static boolean matches(byte[] head) {
        return head.length >= MAGIC.length && Arrays.equals(Arrays.copyOf(head, MAGIC.length), MAGIC);
    }

    /**
     * Reads the header, leaving {@code input} at the first byte of the data.
     *
     * @throws NpyException {@code MALFORMED} for a bad magic string, version, dict, shape or byte order;
     *     {@code UNSUPPORTED_DTYPE} as {@link Dtype#of} says
     */
    public static NpyHeader read(InputStream input) throws IOException {
        Map<String, Object> dict = PythonLiteral.parseDict(readText(new DataInputStream(input)));
        Object descr = required(dict, "descr");
        Object fortranOrder = required(dict, "fortran_order");
        Object shape = required(dict, "shape");
        if (!(descr instanceof String descrText)) {
            throw new NpyException(NpyException.Kind.UNSUPPORTED_DTYPE, "npy dtype " + PythonLiteral.show(descr)
                    + " is structured (a record array); save a plain numeric array, e.g. one field: arr['name']");
        }
        if (!(fortranOrder instanceof Boolean fortran)) {
            throw NpyException.malformed("npy header's 'fortran_order' is " + PythonLiteral.show(fortranOrder)
                    + "; it must be True or False");
        }
        if (!(shape instanceof List<?> dims) || !dims.stream().allMatch(d -> d instanceof Long)) {
            throw NpyException.malformed("npy header's 'shape' is " + PythonLiteral.show(shape)
                    + "; it must be a tuple of integers");
        }
        long[] lengths = dims.stream().mapToLong(d -> (Long) d).toArray();
        for (long length : lengths) {
            if (length < 0) {
                throw NpyException.malformed("npy shape " + Arrays.toString(lengths) + " has a negative dimension");
            }
        }
        NpyHeader header = new NpyHeader(Dtype.of(descrText), fortran, lengths);
        header.dataBytes(); // refuses shapes whose size overflows before anyone allocates for them
        return header;
    }

    private static String readText(DataInputStream in) throws IOException {
        try {
            byte[] magic = in.readNBytes(MAGIC.length);
            if (!Arrays.equals(magic, MAGIC)) {
                throw NpyException.malformed("not an npy file (bad magic)");
            }
            int major = in.readUnsignedByte();
            in.readUnsignedByte();
            long length;
            if (major == 1) {
                length = Short.toUnsignedInt(Short.reverseBytes(in.readShort()));
            } else if (major == 2 || major == 3) {
                length = Integer.toUnsignedLong(Integer.reverseBytes(in.readInt()));
            } else {
                throw NpyException.malformed("npy version " + major + " is not supported");
            }
            if (length > MAX_HEADER_BYTES) {
                throw NpyException.malformed("npy header of " + length + " bytes is implausibly long");
            }
            byte[] header = in.readNBytes((int) length);
            if (header.length < length) {
                throw NpyException.malformed("npy header is truncated");
            }
            // Version 3 allows UTF-8 in field names; the three keys we read are ASCII either way.
            return new String(header, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        } catch (EOFException e) {
            throw NpyException.malformed("npy file is shorter than its header");
        }
    }

    private static Object required(Map<String, Object> dict, String key) {
        Object value = dict.get(key);
        if (value == null) {
            throw NpyException.malformed("npy header lacks '" + key + "'");
        }
        return value;
    }

    /**
     * Writes a version-1 header for a C-order array (version 2 where the dict needs more than 65,535 bytes), padded
     * with spaces so that the data starts at a multiple of 64 bytes, as numpy does.
     */
    public static void write(OutputStream out, Dtype dtype, long[] shape) throws IOException {
        String dict = "{'descr': '" + dtype.descr() + "', 'fortran_order': False, 'shape': " + describe(shape) + ", }";
        boolean version1 = dict.length() + ALIGNMENT < 65_536;
        int unpadded = MAGIC.length + (version1 ? 4 : 6) + dict.length() + 1;
        byte[] text = (dict + " ".repeat((ALIGNMENT - unpadded % ALIGNMENT) % ALIGNMENT) + "\n")
                .getBytes(StandardCharsets.ISO_8859_1);
        out.write(MAGIC);
        ByteBuffer lengths = ByteBuffer.allocate(6).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        if (version1) {
            lengths.put((byte) 1).put((byte) 0).putShort((short) text.length);
        } else {
            lengths.put((byte) 2).put((byte) 0).putInt(text.length);
        }
        out.write(lengths.array(), 0, lengths.position());
        out.write(text);
    }

    /** Values in the array: the product of its dimensions (1 for a 0-d array). */
    public long values() {
        long values = 1;
        for (long length : shape) {
            try {
                values = Math.multiplyExact(values, length);
            } catch (ArithmeticException e) {
                throw NpyException.malformed("npy shape " + Arrays.toString(shape) + " holds more values than any file could");
            }
        }
        return values;
    }

    /** Bytes of data the shape and dtype call for. */
    public long dataBytes() {
        try {
            return Math.multiplyExact(values(), (long) dtype.size());
        } catch (ArithmeticException e) {
            throw NpyException.malformed("npy shape " + Arrays.toString(shape) + " holds more values than any file could");
        }
    }

    /**
     * Reads exactly the data this header describes from {@code in}, which must end there.
     *
     * @throws NpyException {@code MALFORMED} when the data is shorter or longer than the shape says;
     *     {@code TOO_LARGE} beyond 2 GiB, more than one Java array holds
     */
    public NpyArray readData(InputStream in) throws IOException {
        long bytes = dataBytes();
        if (bytes > Integer.MAX_VALUE - 16) {
            throw new NpyException(NpyException.Kind.TOO_LARGE, "npy data of " + bytes + " bytes is too large to read");
        }
        byte[] raw = new byte[(int) bytes];
        int read = in.readNBytes(raw, 0, raw.length);
        if (read < raw.length) {
            throw truncated(raw.length, read);
        }
        if (in.read() >= 0) {
            throw NpyException.malformed("npy file has bytes after the data its shape describes");
        }
        return new NpyArray(this, ByteBuffer.wrap(raw).order(dtype.order()));
    }

    static NpyException truncated(long needed, long found) {
        return NpyException.malformed("npy data is truncated: the shape needs " + needed + " bytes, found " + found);
    }

    /** Values between neighbours along each axis, in the data. */
    public long[] strides() {
        long[] strides = new long[shape.length];
        long step = 1;
        for (int k = 0; k < shape.length; k++) {
            int axis = fortranOrder ? k : shape.length - 1 - k;
            strides[axis] = step;
            step *= shape[axis];
        }
        return strides;
    }

    /** The numpy index ({@code arr[i, j, k]}) of the value at {@code from} in the data, for messages. */
    public String numpyIndex(long from) {
        long[] index = new long[shape.length];
        long rest = from;
        for (int k = 0; k < shape.length; k++) {
            int axis = fortranOrder ? k : shape.length - 1 - k;
            index[axis] = rest % shape[axis];
            rest /= shape[axis];
        }
        StringJoiner joined = new StringJoiner(", ", "(", ")");
        Arrays.stream(index).forEach(i -> joined.add(Long.toString(i)));
        return joined.toString();
    }

    /** The shape as numpy prints it: {@code (16, 1, 28, 28)}. */
    public String describeShape() {
        return describe(shape);
    }

    private static String describe(long[] shape) {
        StringJoiner dims = new StringJoiner(", ", "(", shape.length == 1 ? ",)" : ")");
        Arrays.stream(shape).forEach(d -> dims.add(Long.toString(d)));
        return dims.toString();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof NpyHeader h && dtype.equals(h.dtype) && fortranOrder == h.fortranOrder
                && Arrays.equals(shape, h.shape);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * dtype.hashCode() + Boolean.hashCode(fortranOrder)) + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return "NpyHeader[" + dtype.descr() + ", fortranOrder=" + fortranOrder + ", shape=" + describeShape() + "]";
    }
}
