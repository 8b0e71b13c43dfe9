package dev.latentserve.datasets;

import dev.latentserve.image.ImageData;
import dev.latentserve.image.ImageShape;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/**
 * The IDX format of MNIST and Fashion-MNIST: a magic number {@code 0x0000 08 03} (unsigned bytes,
 * three dimensions) followed by big-endian dimension sizes and the pixels. Gzip is unwrapped by the caller.
 */
final class IdxFormat {

    static final int UNSIGNED_BYTE_3D = 0x00000803;

    private IdxFormat() {
    }

    static boolean matches(byte[] head) {
        return head.length >= 4 && head[0] == 0 && head[1] == 0 && head[2] == 0x08;
    }

    static ImageData read(InputStream input, UploadLimits limits) throws IOException {
        DataInputStream in = new DataInputStream(input);
        int magic;
        try {
            magic = in.readInt();
        } catch (EOFException e) {
            throw DatasetFormatException.malformed("IDX file is shorter than its header");
        }
        if (magic != UNSIGNED_BYTE_3D) {
            throw DatasetFormatException.malformed(String.format(
                    "IDX magic number is 0x%08x; images must be 0x%08x (unsigned bytes, N x rows x columns). "
                            + "A labels file (0x00000801) is not an image dataset.", magic, UNSIGNED_BYTE_3D));
        }
        long count;
        long rows;
        long columns;
        try {
            count = Integer.toUnsignedLong(in.readInt());
            rows = Integer.toUnsignedLong(in.readInt());
            columns = Integer.toUnsignedLong(in.readInt());
        } catch (EOFException e) {
            throw DatasetFormatException.malformed("IDX file is shorter than its header");
        }
        if (count == 0) {
            throw DatasetFormatException.malformed("IDX file holds no images");
        }
        limits.checkImages(count);
        limits.checkSide(rows, columns);
        long bytes = count * rows * columns;
        limits.checkDecodedBytes(bytes);
        byte[] pixels = new byte[Math.toIntExact(bytes)];
        int read = in.readNBytes(pixels, 0, pixels.length);
        if (read < pixels.length) {
            throw DatasetFormatException.malformed("IDX file is truncated: its header announces " + count + " images of "
                    + rows + "x" + columns + " (" + bytes + " bytes) but only " + read + " bytes follow");
        }
        if (in.read() >= 0) {
            throw DatasetFormatException.malformed("IDX file has bytes after the " + count + " images its header announces");
        }
        return ImageData.ofBytes(new ImageShape(1, (int) rows, (int) columns), pixels);
    }
}
