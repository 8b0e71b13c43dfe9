package dev.latentserve.testing;

import dev.latentserve.image.ImageCodec;
import dev.latentserve.image.ImageData;
import dev.latentserve.image.ImageShape;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Builds upload files in the formats we accept (and broken variants of them). */
public final class TestFiles {

    private TestFiles() {
    }

    public static byte[] idx(ImageData data) {
        ByteBuffer buffer = ByteBuffer.allocate(16 + data.uint8().length);
        buffer.putInt(0x00000803).putInt(data.count()).putInt(data.shape().height()).putInt(data.shape().width());
        buffer.put(data.uint8());
        return buffer.array();
    }

    public static byte[] gzip(byte[] bytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    public static byte[] zip(Map<String, byte[]> entries) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            for (Map.Entry<String, byte[]> entry : entries.entrySet()) {
                zip.putNextEntry(new ZipEntry(entry.getKey()));
                zip.write(entry.getValue());
                zip.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    public static byte[] png(ImageShape shape, float value) {
        float[] pixels = new float[shape.size()];
        java.util.Arrays.fill(pixels, value);
        return ImageCodec.png(shape, pixels);
    }

    public static byte[] png(ImageData data, int index) {
        float[] pixels = new float[data.shape().size()];
        data.copyImage(index, pixels, 0);
        return ImageCodec.png(data.shape(), pixels);
    }

    /** An npy file with the given header dictionary and raw little-endian data. */
    public static byte[] npy(String descr, String shape, byte[] data) {
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + shape + "), }";
        int unpadded = 10 + dict.length() + 1;
        String header = dict + " ".repeat((64 - unpadded % 64) % 64) + "\n";
        ByteBuffer buffer = ByteBuffer.allocate(10 + header.length() + data.length).order(ByteOrder.LITTLE_ENDIAN);
        buffer.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
        buffer.putShort((short) header.length());
        buffer.put(header.getBytes(StandardCharsets.ISO_8859_1));
        buffer.put(data);
        return buffer.array();
    }

    public static byte[] floats(float... values) {
        ByteBuffer buffer = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            buffer.putFloat(v);
        }
        return buffer.array();
    }
}
