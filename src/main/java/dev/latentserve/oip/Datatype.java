package dev.latentserve.oip;

import java.util.Arrays;
import java.util.stream.Collectors;

/** The protocol's tensor element types this service reads and writes; BYTES, BOOL, FP16 and the rest are refused. */
enum Datatype {
    FP32(4),
    UINT8(1),
    INT32(4),
    INT64(8);

    private final int bytes;

    Datatype(int bytes) {
        this.bytes = bytes;
    }

    /** Bytes per element in the binary tensor data extension (little-endian, unpadded). */
    int bytes() {
        return bytes;
    }

    boolean isInteger() {
        return this != FP32;
    }

    /**
     * The type the protocol names {@code name}.
     *
     * @throws InvalidTensorException for any other name, naming the types taken
     */
    static Datatype parse(String name, String tensor) {
        for (Datatype type : values()) {
            if (type.name().equals(name)) {
                return type;
            }
        }
        throw new InvalidTensorException("tensor '" + tensor + "' has datatype '" + name + "'; this service takes "
                + Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", ")));
    }

    /** Whether {@code value} fits this integer type. */
    boolean holds(long value) {
        return switch (this) {
            case UINT8 -> value >= 0 && value <= 255;
            case INT32 -> value >= Integer.MIN_VALUE && value <= Integer.MAX_VALUE;
            case INT64, FP32 -> true;
        };
    }
}
