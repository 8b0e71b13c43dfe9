package dev.latentserve.npy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Whole npy files and npz archives in memory, as {@code np.save} and {@code np.savez} write them: C order,
 * little-endian, a version-1 header; an npz is a zip of one {@code name.npy} entry per array, stored uncompressed.
 */
public final class NpyWriter {

    private NpyWriter() {
    }

    /** An npy file of uint8 values, C order. */
    public static byte[] uint8(long[] shape, byte[] values) {
        checkLength(shape, values.length);
        return npy(Dtype.UINT8, shape, values);
    }

    /** An npy file of little-endian float32 values, C order. */
    public static byte[] float32(long[] shape, float[] values) {
        checkLength(shape, values.length);
        ByteBuffer data = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        data.asFloatBuffer().put(values);
        return npy(Dtype.FLOAT32, shape, data.array());
    }

    /** An npy file of little-endian int32 values, C order. */
    public static byte[] int32(long[] shape, int[] values) {
        checkLength(shape, values.length);
        ByteBuffer data = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        data.asIntBuffer().put(values);
        return npy(Dtype.INT32, shape, data.array());
    }

    /**
     * An npz archive of npy files, each under its name plus {@code .npy} ({@code np.load(f)["top"]}), in the map's order.
     */
    public static byte[] npz(Map<String, byte[]> arrays) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            for (Map.Entry<String, byte[]> array : new LinkedHashMap<>(arrays).entrySet()) {
                // Stored, as np.savez does: the arrays are mostly incompressible floats, and a reader can map them.
                ZipEntry entry = new ZipEntry(array.getKey() + ".npy");
                byte[] npy = array.getValue();
                CRC32 crc = new CRC32();
                crc.update(npy);
                entry.setMethod(ZipEntry.STORED);
                entry.setSize(npy.length);
                entry.setCompressedSize(npy.length);
                entry.setCrc(crc.getValue());
                zip.putNextEntry(entry);
                zip.write(npy);
                zip.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
        }
        return bytes.toByteArray();
    }

    private static byte[] npy(Dtype dtype, long[] shape, byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(data.length + 128);
        try {
            NpyHeader.write(out, dtype, shape);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.writeBytes(data);
        return out.toByteArray();
    }

    private static void checkLength(long[] shape, int length) {
        long values = Arrays.stream(shape).reduce(1, Math::multiplyExact);
        if (values != length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + values + " values, not " + length);
        }
    }
}
