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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * NumPy's {@code .npy} format (version 1 to 3), C order, dtypes {@code uint8}, {@code float32} and
 * {@code float64}. Shapes (N, H, W), (N, C, H, W) or (N, H, W, C) with C in {1, 3}; floats must lie in [0, 1].
 */
final class NpyFormat {

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private NpyFormat() {
    }

    static boolean matches(byte[] head) {
        return head.length >= MAGIC.length && Arrays.equals(Arrays.copyOf(head, MAGIC.length), MAGIC);
    }

    static ImageData read(InputStream input, UploadLimits limits) throws IOException {
        DataInputStream in = new DataInputStream(input);
        String header = readHeader(in);
        String descr = group(DESCR, header, "descr");
        if (group(FORTRAN, header, "fortran_order").equals("True")) {
            throw DatasetFormatException.malformed("npy array is in Fortran order; save it in C order (np.ascontiguousarray)");
        }
        long[] dims = Arrays.stream(group(SHAPE, header, "shape").split(","))
                .map(String::trim).filter(s -> !s.isEmpty()).mapToLong(Long::parseLong).toArray();
        Layout layout = Layout.of(dims);
        limits.checkImages(layout.count);
        limits.checkSide(layout.height, layout.width);
        long values = layout.count * layout.channels * layout.height * layout.width;
        ImageShape shape = new ImageShape(layout.channels, (int) layout.height, (int) layout.width);
        int itemSize = switch (descr) {
            case "|u1", "<u1", "u1" -> 1;
            case "<f4" -> 4;
            case "<f8" -> 8;
            default -> throw DatasetFormatException.malformed("npy dtype '" + descr + "' is not supported; use uint8, float32 or float64");
        };
        limits.checkDecodedBytes(values * itemSize);
        byte[] raw = new byte[Math.toIntExact(values * itemSize)];
        int read = in.readNBytes(raw, 0, raw.length);
        if (read < raw.length) {
            throw DatasetFormatException.malformed("npy data is truncated: the shape needs " + raw.length + " bytes, found " + read);
        }
        if (in.read() >= 0) {
            throw DatasetFormatException.malformed("npy file has bytes after the data its shape describes");
        }
        if (itemSize == 1) {
            return ImageData.ofBytes(shape, layout.toChw(raw));
        }
        ByteBuffer buffer = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        float[] floats = new float[Math.toIntExact(values)];
        for (int i = 0; i < floats.length; i++) {
            double v = itemSize == 4 ? buffer.getFloat() : buffer.getDouble();
            if (!(v >= 0 && v <= 1)) {
                throw DatasetFormatException.malformed("npy float value " + v + " at flat index " + i
                        + " is outside [0, 1] (or not finite); scale pixels to [0, 1]");
            }
            floats[i] = (float) v;
        }
        return ImageData.ofFloats(shape, layout.toChw(floats));
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
            if (length > 65_536) {
                throw DatasetFormatException.malformed("npy header of " + length + " bytes is implausibly long");
            }
            byte[] header = in.readNBytes((int) length);
            if (header.length < length) {
                throw DatasetFormatException.malformed("npy header is truncated");
            }
            return new String(header, StandardCharsets.ISO_8859_1);
        } catch (EOFException e) {
            throw DatasetFormatException.malformed("npy file is shorter than its header");
        }
    }

    private static String group(Pattern pattern, String header, String key) {
        Matcher m = pattern.matcher(header);
        if (!m.find()) {
            throw DatasetFormatException.malformed("npy header lacks '" + key + "': " + header.trim());
        }
        return m.group(1);
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

    /** How the dimensions map to count, channels, height and width. */
    private record Layout(long count, int channels, long height, long width, boolean channelsLast) {

        static Layout of(long[] d) {
            if (d.length == 3) {
                return new Layout(d[0], 1, d[1], d[2], false);
            }
            if (d.length == 4 && (d[1] == 1 || d[1] == 3)) {
                return new Layout(d[0], (int) d[1], d[2], d[3], false);
            }
            if (d.length == 4 && (d[3] == 1 || d[3] == 3)) {
                return new Layout(d[0], (int) d[3], d[1], d[2], true);
            }
            throw DatasetFormatException.malformed("npy shape " + Arrays.toString(d)
                    + " is not (N, H, W), (N, C, H, W) or (N, H, W, C) with C = 1 or 3");
        }

        byte[] toChw(byte[] values) {
            if (!channelsLast || channels == 1) {
                return values;
            }
            byte[] out = new byte[values.length];
            permute(values.length, (from, to) -> out[to] = values[from]);
            return out;
        }

        float[] toChw(float[] values) {
            if (!channelsLast || channels == 1) {
                return values;
            }
            float[] out = new float[values.length];
            permute(values.length, (from, to) -> out[to] = values[from]);
            return out;
        }

        private void permute(int length, IndexCopy copy) {
            int plane = (int) (height * width);
            int image = plane * channels;
            for (int i = 0; i < length; i++) {
                int n = i / image;
                int rest = i % image;
                int pixel = rest / channels;
                int channel = rest % channels;
                copy.copy(i, n * image + channel * plane + pixel);
            }
        }
    }

    @FunctionalInterface
    private interface IndexCopy {
        void copy(int from, int to);
    }
}
