package dev.latentserve.datasets;

import dev.latentserve.image.ImageData;
import dev.latentserve.image.ImageShape;
import dev.latentserve.npy.Dtype;
import dev.latentserve.npy.NpyException;
import dev.latentserve.npy.NpyHeader;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Dataset images from NumPy's {@code .npy} format, versions 1 to 3, as {@code np.save} writes it (parsed by
 * {@link NpyHeader}, the one npy parser).
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

    private NpyFormat() {
    }

    static boolean matches(byte[] head) {
        return NpyHeader.matches(head);
    }

    static ImageData read(InputStream in, UploadLimits limits) throws IOException {
        try {
            NpyHeader header = NpyHeader.read(in);
            Dtype dtype = header.dtype();
            Layout layout = Layout.of(header);
            limits.checkImages(layout.count());
            limits.checkSide(layout.height(), layout.width());
            limits.checkDecodedBytes(header.dataBytes());
            ByteBuffer data = header.readData(in).data();
            long values = header.values();
            ImageShape shape = new ImageShape(layout.channels(), (int) layout.height(), (int) layout.width());
            return dtype.kind() == Dtype.Kind.FLOAT
                    ? ImageData.ofFloats(shape, floats(data, dtype, layout, (int) values))
                    : ImageData.ofBytes(shape, bytes(data, dtype, layout, (int) values));
        } catch (NpyException e) {
            // The same words, as this endpoint's own problem: every unreadable upload is an invalid dataset.
            throw DatasetFormatException.malformed(e.getMessage());
        }
    }

    private static float[] floats(ByteBuffer data, Dtype dtype, Layout layout, int values) {
        float[] pixels = new float[values];
        layout.forEachInChwOrder((to, from) -> {
            double v = dtype.floatAt(data, from);
            if (!(v >= 0 && v <= 1)) {
                throw DatasetFormatException.malformed("npy " + dtype.name() + " value " + v + " at index "
                        + layout.header().numpyIndex(from) + " is outside [0, 1] (or not finite); scale pixels to [0, 1]");
            }
            pixels[to] = (float) v;
        });
        return pixels;
    }

    private static byte[] bytes(ByteBuffer data, Dtype dtype, Layout layout, int values) {
        if (dtype.kind() == Dtype.Kind.UNSIGNED && dtype.size() == 1 && layout.isChwOrder()) {
            return data.array(); // uint8 as CHW already: the common case, without a second copy of the data
        }
        byte[] pixels = new byte[values];
        layout.forEachInChwOrder((to, from) -> {
            long v = dtype.integerAt(data, from);
            if (dtype.kind() == Dtype.Kind.BOOL) {
                v = v == 0 ? 0 : 255;
            } else if (v < 0 || v > 255) {
                String shown = dtype.kind() == Dtype.Kind.UNSIGNED ? Long.toUnsignedString(v) : Long.toString(v);
                throw DatasetFormatException.malformed("npy " + dtype.name() + " value " + shown + " at index "
                        + layout.header().numpyIndex(from) + " is outside 0..255; integer arrays are read as 8-bit pixels: "
                        + "convert with arr.astype(np.uint8) if the values are 0..255 pixels, or save floats in [0, 1]");
            }
            pixels[to] = (byte) v;
        });
        return pixels;
    }

    /** Writes uint8 or float32 images as a version-1 npy file of shape (N, C, H, W). */
    static void write(ImageData data, OutputStream out) throws IOException {
        ImageShape s = data.shape();
        NpyHeader.write(out, data.isUint8() ? Dtype.UINT8 : Dtype.FLOAT32,
                new long[] {data.count(), s.channels(), s.height(), s.width()});
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

    /**
     * How the array's axes map to count, channels, height and width, and where each value lies in the file: C order
     * (last axis fastest) or Fortran order (first axis fastest).
     */
    private record Layout(NpyHeader header, int countAxis, int channelAxis, int heightAxis, int widthAxis,
            long count, int channels, long height, long width) {

        static Layout of(NpyHeader header) {
            long[] d = header.shape();
            if (d.length == 0) {
                throw DatasetFormatException.malformed("npy array is 0-d (a single number); save images as an array of shape "
                        + "(N, H, W), (N, C, H, W) or (N, H, W, C)");
            }
            Layout layout;
            if (d.length == 3) {
                layout = new Layout(header, 0, -1, 1, 2, d[0], 1, d[1], d[2]);
            } else if (d.length == 4 && (d[1] == 1 || d[1] == 3)) {
                layout = new Layout(header, 0, 1, 2, 3, d[0], (int) d[1], d[2], d[3]);
            } else if (d.length == 4 && (d[3] == 1 || d[3] == 3)) {
                layout = new Layout(header, 0, 3, 1, 2, d[0], (int) d[3], d[1], d[2]);
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
            long[] strides = header.strides();
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
            return !header.fortranOrder() && (channelAxis != 3 || channels == 1);
        }
    }

    @FunctionalInterface
    private interface IndexVisitor {
        void visit(int to, int from);
    }
}
