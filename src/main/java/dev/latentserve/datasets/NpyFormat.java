package dev.latentserve.datasets;

import dev.latentserve.image.ImageData;
import dev.latentserve.image.ImageShape;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/**
 * NumPy's {@code .npy} format, versions 1 to 3, as {@code np.save} writes it.
 *
 * <p>Accepted arrays:
 * <ul>
 *   <li>shapes (N, H, W), (N, C, H, W) or (N, H, W, C) with C = 1 or 3 and N at least 1;</li>
 *   <li>C order, or Fortran order ({@code np.asfortranarray}), which is transposed to C order;</li>
 *   <li>little-endian ({@code '<'}) or big-endian ({@code '>'}) values; big-endian ones are byte-swapped;</li>
 *   <li>{@code bool} ({@code |b1}): False is pixel 0, True pixel 1, stored as uint8 0 and 255;</li>
 *   <li>{@code uint8} ({@code |u1}): pixel = value / 255, stored as given;</li>
 *   <li>{@code int8}, {@code int16}, {@code uint16}, {@code int32}, {@code uint32}, {@code int64}, {@code uint64}:
 *       only when every value lies in 0..255; they are then read as uint8;</li>
 *   <li>{@code float16}, {@code float32}, {@code float64}: every value must lie in [0, 1]; stored as float32.</li>
 * </ul>
 * Refused, with a message saying what to do: 0-d arrays, object arrays ({@code |O}, pickled Python objects, never
 * unpickled here), structured, complex, string and date dtypes, values out of range, and files whose data is
 * shorter or longer than the shape says.
 */
final class NpyFormat {

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final int MAX_HEADER_BYTES = 65_536;

    private NpyFormat() {
    }

    static boolean matches(byte[] head) {
        return head.length >= MAGIC.length && Arrays.equals(Arrays.copyOf(head, MAGIC.length), MAGIC);
    }

    static ImageData read(InputStream input, UploadLimits limits) throws IOException {
        DataInputStream in = new DataInputStream(input);
        Header header = Header.parse(readHeader(in));
        Dtype dtype = Dtype.of(header.descr());
        Layout layout = Layout.of(header.shape(), header.fortranOrder());
        limits.checkImages(layout.count());
        limits.checkSide(layout.height(), layout.width());
        long values = layout.count() * layout.channels() * layout.height() * layout.width();
        limits.checkDecodedBytes(values * dtype.size());
        byte[] raw = new byte[Math.toIntExact(values * dtype.size())];
        int read = in.readNBytes(raw, 0, raw.length);
        if (read < raw.length) {
            throw DatasetFormatException.malformed("npy data is truncated: the shape needs " + raw.length + " bytes, found " + read);
        }
        if (in.read() >= 0) {
            throw DatasetFormatException.malformed("npy file has bytes after the data its shape describes");
        }
        ByteBuffer data = ByteBuffer.wrap(raw).order(dtype.order());
        ImageShape shape = new ImageShape(layout.channels(), (int) layout.height(), (int) layout.width());
        return dtype.kind() == ValueKind.FLOAT
                ? ImageData.ofFloats(shape, floats(data, dtype, layout, (int) values))
                : ImageData.ofBytes(shape, bytes(data, dtype, layout, (int) values));
    }

    private static float[] floats(ByteBuffer data, Dtype dtype, Layout layout, int values) {
        float[] pixels = new float[values];
        layout.forEachInChwOrder((to, from) -> {
            double v = dtype.floatAt(data, from);
            if (!(v >= 0 && v <= 1)) {
                throw DatasetFormatException.malformed("npy " + dtype.name() + " value " + v + " at index " + layout.numpyIndex(from)
                        + " is outside [0, 1] (or not finite); scale pixels to [0, 1]");
            }
            pixels[to] = (float) v;
        });
        return pixels;
    }

    private static byte[] bytes(ByteBuffer data, Dtype dtype, Layout layout, int values) {
        if (dtype.kind() == ValueKind.UNSIGNED && dtype.size() == 1 && layout.isChwOrder()) {
            return data.array(); // uint8 as CHW already: the common case, without a second copy of the data
        }
        byte[] pixels = new byte[values];
        layout.forEachInChwOrder((to, from) -> {
            long v = dtype.integerAt(data, from);
            if (dtype.kind() == ValueKind.BOOL) {
                v = v == 0 ? 0 : 255;
            } else if (v < 0 || v > 255) {
                String shown = dtype.kind() == ValueKind.UNSIGNED ? Long.toUnsignedString(v) : Long.toString(v);
                throw DatasetFormatException.malformed("npy " + dtype.name() + " value " + shown + " at index " + layout.numpyIndex(from)
                        + " is outside 0..255; integer arrays are read as 8-bit pixels: convert with arr.astype(np.uint8) "
                        + "if the values are 0..255 pixels, or save floats in [0, 1]");
            }
            pixels[to] = (byte) v;
        });
        return pixels;
    }

    private static String readHeader(DataInputStream in) throws IOException {
        try {
            byte[] magic = in.readNBytes(MAGIC.length);
            if (!Arrays.equals(magic, MAGIC)) {
                throw DatasetFormatException.malformed("not an npy file (bad magic)");
            }
            int major = in.readUnsignedByte();
            in.readUnsignedByte();
            long length;
            if (major == 1) {
                length = Short.toUnsignedInt(Short.reverseBytes(in.readShort()));
            } else if (major == 2 || major == 3) {
                length = Integer.toUnsignedLong(Integer.reverseBytes(in.readInt()));
            } else {
                throw DatasetFormatException.malformed("npy version " + major + " is not supported");
            }
            if (length > MAX_HEADER_BYTES) {
                throw DatasetFormatException.malformed("npy header of " + length + " bytes is implausibly long");
            }
            byte[] header = in.readNBytes((int) length);
            if (header.length < length) {
                throw DatasetFormatException.malformed("npy header is truncated");
            }
            // Version 3 allows UTF-8 in field names; the three keys we read are ASCII either way.
            return new String(header, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        } catch (EOFException e) {
            throw DatasetFormatException.malformed("npy file is shorter than its header");
        }
    }

    /** Writes uint8 or float32 images as a version-1 npy file of shape (N, C, H, W). */
    static void write(ImageData data, OutputStream out) throws IOException {
        ImageShape s = data.shape();
        String descr = data.isUint8() ? "|u1" : "<f4";
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + data.count() + ", " + s.channels()
                + ", " + s.height() + ", " + s.width() + "), }";
        int unpadded = MAGIC.length + 4 + dict.length() + 1;
        String header = dict + " ".repeat((64 - unpadded % 64) % 64) + "\n";
        out.write(MAGIC);
        out.write(new byte[] {1, 0, (byte) header.length(), (byte) (header.length() >> 8)});
        out.write(header.getBytes(StandardCharsets.ISO_8859_1));
        byte[] bytes = data.uint8();
        if (bytes != null) {
            out.write(bytes);
            return;
        }
        float[] floats = java.util.Objects.requireNonNull(data.float32());
        ByteBuffer buffer = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : floats) {
            if (!buffer.hasRemaining()) {
                out.write(buffer.array(), 0, buffer.position());
                buffer.clear();
            }
            buffer.putFloat(v);
        }
        out.write(buffer.array(), 0, buffer.position());
    }

    /** The header dictionary's three keys, e.g. {@code {'descr': '<f4', 'fortran_order': False, 'shape': (3, 28, 28), }}. */
    record Header(String descr, boolean fortranOrder, long[] shape) {

        static Header parse(String text) {
            Map<String, Object> dict = PythonLiteral.parseDict(text);
            Object descr = required(dict, "descr");
            Object fortranOrder = required(dict, "fortran_order");
            Object shape = required(dict, "shape");
            if (!(descr instanceof String descrText)) {
                throw DatasetFormatException.malformed("npy dtype " + PythonLiteral.show(descr) + " is structured (a record array); "
                        + "save a plain numeric array, e.g. one field: arr['name']");
            }
            if (!(fortranOrder instanceof Boolean fortran)) {
                throw DatasetFormatException.malformed("npy header's 'fortran_order' is " + PythonLiteral.show(fortranOrder)
                        + "; it must be True or False");
            }
            if (!(shape instanceof List<?> dims) || !dims.stream().allMatch(d -> d instanceof Long)) {
                throw DatasetFormatException.malformed("npy header's 'shape' is " + PythonLiteral.show(shape)
                        + "; it must be a tuple of integers");
            }
            return new Header(descrText, fortran, dims.stream().mapToLong(d -> (Long) d).toArray());
        }

        private static Object required(Map<String, Object> dict, String key) {
            Object value = dict.get(key);
            if (value == null) {
                throw DatasetFormatException.malformed("npy header lacks '" + key + "'");
            }
            return value;
        }
    }

    /** What the bytes of one value mean. */
    enum ValueKind { BOOL, UNSIGNED, SIGNED, FLOAT }

    /** A numeric dtype we read: kind, bytes per value, byte order and numpy's name for it. */
    record Dtype(ValueKind kind, int size, ByteOrder order, String name) {

        static Dtype of(String descr) {
            if (descr.length() < 2) {
                throw unsupported(descr, "unknown");
            }
            char byteOrder = descr.charAt(0);
            String type = "<>|=".indexOf(byteOrder) >= 0 ? descr.substring(1) : descr;
            char code = type.charAt(0);
            int size = type.length() > 1 && type.length() <= 3 && type.substring(1).chars().allMatch(Character::isDigit)
                    ? Integer.parseInt(type.substring(1)) : -1;
            if (code == 'O') {
                throw DatasetFormatException.malformed("npy dtype '" + descr + "' holds Python objects (a pickle), which are "
                        + "never unpickled here; convert to a numeric array first, e.g. np.stack(list(arr)).astype(np.float32)");
            }
            ValueKind kind = switch (code) {
                case 'b' -> size == 1 ? ValueKind.BOOL : null;
                case 'u' -> size == 1 || size == 2 || size == 4 || size == 8 ? ValueKind.UNSIGNED : null;
                case 'i' -> size == 1 || size == 2 || size == 4 || size == 8 ? ValueKind.SIGNED : null;
                case 'f' -> size == 2 || size == 4 || size == 8 ? ValueKind.FLOAT : null;
                default -> null;
            };
            if (kind == null) {
                throw unsupported(descr, describe(code, size));
            }
            if (size > 1 && byteOrder != '<' && byteOrder != '>') {
                throw DatasetFormatException.malformed("npy dtype '" + descr + "' does not say its byte order; numpy writes '<' "
                        + "(little-endian) or '>' (big-endian) before multi-byte types");
            }
            String name = switch (kind) {
                case BOOL -> "bool";
                case UNSIGNED -> "uint" + 8 * size;
                case SIGNED -> "int" + 8 * size;
                case FLOAT -> "float" + 8 * size;
            };
            return new Dtype(kind, size, byteOrder == '>' ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN, name);
        }

        private static String describe(char code, int size) {
            String bits = size > 0 ? String.valueOf(8 * size) : "";
            return switch (code) {
                case 'c' -> "complex" + bits;
                case 'f' -> "float" + bits;
                case 'i' -> "int" + bits;
                case 'u' -> "uint" + bits;
                case 'S', 'a' -> "bytes";
                case 'U' -> "str";
                case 'V' -> "void (raw or structured)";
                case 'M' -> "datetime64";
                case 'm' -> "timedelta64";
                default -> "unknown";
            };
        }

        private static DatasetFormatException unsupported(String descr, String what) {
            return DatasetFormatException.malformed("npy dtype '" + descr + "' (" + what + ") is not supported; save bool, uint8, "
                    + "integers in 0..255, or float16/float32/float64 in [0, 1] (e.g. arr.astype(np.float32))");
        }

        long integerAt(ByteBuffer data, int index) {
            return switch (size) {
                case 1 -> kind == ValueKind.SIGNED ? data.get(index) : Byte.toUnsignedLong(data.get(index));
                case 2 -> kind == ValueKind.SIGNED ? data.getShort(2 * index) : Short.toUnsignedLong(data.getShort(2 * index));
                case 4 -> kind == ValueKind.SIGNED ? data.getInt(4 * index) : Integer.toUnsignedLong(data.getInt(4 * index));
                default -> data.getLong(8 * index);
            };
        }

        double floatAt(ByteBuffer data, int index) {
            return switch (size) {
                case 2 -> Float.float16ToFloat(data.getShort(2 * index));
                case 4 -> data.getFloat(4 * index);
                default -> data.getDouble(8 * index);
            };
        }
    }

    /**
     * How the array's axes map to count, channels, height and width, and where each value lies in the file: C order
     * (last axis fastest) or Fortran order (first axis fastest).
     */
    private record Layout(long[] dims, boolean fortranOrder, int countAxis, int channelAxis, int heightAxis, int widthAxis,
            long count, int channels, long height, long width) {

        static Layout of(long[] d, boolean fortranOrder) {
            if (d.length == 0) {
                throw DatasetFormatException.malformed("npy array is 0-d (a single number); save images as an array of shape "
                        + "(N, H, W), (N, C, H, W) or (N, H, W, C)");
            }
            for (long dim : d) {
                if (dim < 0) {
                    throw DatasetFormatException.malformed("npy shape " + Arrays.toString(d) + " has a negative dimension");
                }
            }
            Layout layout;
            if (d.length == 3) {
                layout = new Layout(d, fortranOrder, 0, -1, 1, 2, d[0], 1, d[1], d[2]);
            } else if (d.length == 4 && (d[1] == 1 || d[1] == 3)) {
                layout = new Layout(d, fortranOrder, 0, 1, 2, 3, d[0], (int) d[1], d[2], d[3]);
            } else if (d.length == 4 && (d[3] == 1 || d[3] == 3)) {
                layout = new Layout(d, fortranOrder, 0, 3, 1, 2, d[0], (int) d[3], d[1], d[2]);
            } else {
                throw DatasetFormatException.malformed("npy shape " + Arrays.toString(d)
                        + " is not (N, H, W), (N, C, H, W) or (N, H, W, C) with C = 1 or 3");
            }
            if (layout.count == 0) {
                throw DatasetFormatException.malformed("npy array holds no images (N = 0)");
            }
            return layout;
        }

        /** Calls {@code visit(to, from)} for every value: {@code to} its CHW position, {@code from} its index in the file. */
        void forEachInChwOrder(IndexVisitor visit) {
            long[] strides = strides();
            long sn = strides[countAxis];
            long sc = channelAxis < 0 ? 0 : strides[channelAxis];
            long sh = strides[heightAxis];
            long sw = strides[widthAxis];
            int to = 0;
            for (long n = 0; n < count; n++) {
                for (long c = 0; c < channels; c++) {
                    for (long h = 0; h < height; h++) {
                        for (long w = 0; w < width; w++) {
                            visit.visit(to++, (int) (n * sn + c * sc + h * sh + w * sw));
                        }
                    }
                }
            }
        }

        /** Whether the file's order is already (N, C, H, W): C order, and channels first unless there is one channel. */
        boolean isChwOrder() {
            return !fortranOrder && (channelAxis != 3 || channels == 1);
        }

        /** Values between neighbours along each axis, in the file. */
        private long[] strides() {
            long[] strides = new long[dims.length];
            long step = 1;
            for (int k = 0; k < dims.length; k++) {
                int axis = fortranOrder ? k : dims.length - 1 - k;
                strides[axis] = step;
                step *= dims[axis];
            }
            return strides;
        }

        /** The numpy index ({@code arr[i, j, k]}) of the value at {@code from} in the file, for messages. */
        String numpyIndex(int from) {
            long[] index = new long[dims.length];
            long rest = from;
            for (int k = 0; k < dims.length; k++) {
                int axis = fortranOrder ? k : dims.length - 1 - k;
                index[axis] = rest % dims[axis];
                rest /= dims[axis];
            }
            StringJoiner joined = new StringJoiner(", ", "(", ")");
            Arrays.stream(index).forEach(i -> joined.add(Long.toString(i)));
            return joined.toString();
        }
    }

    @FunctionalInterface
    private interface IndexVisitor {
        void visit(int to, int from);
    }
}
