package dev.latentserve.npy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A numeric NumPy dtype: what the bytes of one value mean, how many there are, their byte order and NumPy's name for it
 * ({@code uint8}, {@code float32}).
 *
 * @param size bytes per value
 */
public record Dtype(Kind kind, int size, ByteOrder order, String name) {

    /** What the bytes of one value mean. */
    public enum Kind { BOOL, UNSIGNED, SIGNED, FLOAT }

    /** {@code |u1}: pixels 0..255 and small codes. */
    public static final Dtype UINT8 = new Dtype(Kind.UNSIGNED, 1, ByteOrder.LITTLE_ENDIAN, "uint8");
    /** {@code <i4}: codes. */
    public static final Dtype INT32 = new Dtype(Kind.SIGNED, 4, ByteOrder.LITTLE_ENDIAN, "int32");
    /** {@code <f4}: pixels in [0, 1] and latents. */
    public static final Dtype FLOAT32 = new Dtype(Kind.FLOAT, 4, ByteOrder.LITTLE_ENDIAN, "float32");

    /**
     * Reads a header's {@code descr}, such as {@code '<f4'} or {@code '|u1'}.
     *
     * @throws NpyException {@code UNSUPPORTED_DTYPE} for object, complex, string, date and other non-numeric dtypes;
     *     {@code MALFORMED} for a multi-byte dtype without a byte order
     */
    public static Dtype of(String descr) {
        if (descr.length() < 2) {
            throw unsupported(descr, "unknown");
        }
        char byteOrder = descr.charAt(0);
        String type = "<>|=".indexOf(byteOrder) >= 0 ? descr.substring(1) : descr;
        char code = type.charAt(0);
        int size = type.length() > 1 && type.length() <= 3 && type.substring(1).chars().allMatch(Character::isDigit)
                ? Integer.parseInt(type.substring(1)) : -1;
        if (code == 'O') {
            throw new NpyException(NpyException.Kind.UNSUPPORTED_DTYPE, "npy dtype '" + descr + "' holds Python objects (a "
                    + "pickle), which are never unpickled here; convert to a numeric array first, e.g. "
                    + "np.stack(list(arr)).astype(np.float32)");
        }
        Kind kind = switch (code) {
            case 'b' -> size == 1 ? Kind.BOOL : null;
            case 'u' -> size == 1 || size == 2 || size == 4 || size == 8 ? Kind.UNSIGNED : null;
            case 'i' -> size == 1 || size == 2 || size == 4 || size == 8 ? Kind.SIGNED : null;
            case 'f' -> size == 2 || size == 4 || size == 8 ? Kind.FLOAT : null;
            default -> null;
        };
        if (kind == null) {
            throw unsupported(descr, describe(code, size));
        }
        if (size > 1 && byteOrder != '<' && byteOrder != '>') {
            throw NpyException.malformed("npy dtype '" + descr + "' does not say its byte order; numpy writes '<' "
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

    /** The header's {@code descr} for this dtype, as numpy writes it: {@code '|u1'}, {@code '<f4'}. */
    public String descr() {
        char order = size == 1 ? '|' : this.order == ByteOrder.BIG_ENDIAN ? '>' : '<';
        char code = switch (kind) {
            case BOOL -> 'b';
            case UNSIGNED -> 'u';
            case SIGNED -> 'i';
            case FLOAT -> 'f';
        };
        return "" + order + code + size;
    }

    /** Whether the values are little-endian, or single bytes, which have no order. */
    public boolean isLittleEndian() {
        return size == 1 || order == ByteOrder.LITTLE_ENDIAN;
    }

    /** The name with its byte order where it has one, for messages: {@code float32 (big-endian)}. */
    public String describe() {
        return isLittleEndian() ? name : name + " (big-endian)";
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

    private static NpyException unsupported(String descr, String what) {
        return new NpyException(NpyException.Kind.UNSUPPORTED_DTYPE, "npy dtype '" + descr + "' (" + what + ") is not "
                + "supported; only bool, integer and float arrays are read (e.g. arr.astype(np.float32))");
    }

    /** Value {@code index} (in values, not bytes) of {@code data}, whose order must be this dtype's; integer kinds only. */
    public long integerAt(ByteBuffer data, int index) {
        return switch (size) {
            case 1 -> kind == Kind.SIGNED ? data.get(index) : Byte.toUnsignedLong(data.get(index));
            case 2 -> kind == Kind.SIGNED ? data.getShort(2 * index) : Short.toUnsignedLong(data.getShort(2 * index));
            case 4 -> kind == Kind.SIGNED ? data.getInt(4 * index) : Integer.toUnsignedLong(data.getInt(4 * index));
            default -> data.getLong(8 * index);
        };
    }

    /** Value {@code index} of {@code data}, whose order must be this dtype's; float kinds only. */
    public double floatAt(ByteBuffer data, int index) {
        return switch (size) {
            case 2 -> Float.float16ToFloat(data.getShort(2 * index));
            case 4 -> data.getFloat(4 * index);
            default -> data.getDouble(8 * index);
        };
    }
}
