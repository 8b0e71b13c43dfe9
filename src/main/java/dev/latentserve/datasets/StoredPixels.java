package dev.latentserve.datasets;

import dev.latentserve.image.ImageData;
import dev.latentserve.image.ImageShape;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Reads images back from a stored dataset's {@code pixels.npy}, the file {@link NpyFormat#write} wrote: npy version 1,
 * shape (N, C, H, W) in C order, {@code uint8} or little-endian {@code float32}. Image {@code i} therefore starts at a
 * fixed offset (the header, then {@code i * C*H*W} values), so a range is read by seeking to it: showing one image of
 * Fashion-MNIST's 60,000 reads its 784 bytes, not the 47 MB of the whole set.
 */
final class StoredPixels {

    /** Magic (6 bytes), version (2), header length (2, little-endian) in a version-1 npy file. */
    private static final int PREAMBLE = 10;

    private StoredPixels() {
    }

    /**
     * Images {@code from .. from+count-1} of the file.
     *
     * @param shape and {@code dtype} ({@code uint8} or {@code float32}): what the dataset's metadata says is stored
     * @param from the first image, 0-based; {@code from + count} must not pass the number of images stored
     * @return the images as stored: uint8 data for uint8, floats in [0, 1] for float32
     * @throws java.nio.file.NoSuchFileException if the file is gone (the dataset was deleted meanwhile)
     * @throws IOException if the file is not what {@link NpyFormat#write} writes, or is shorter than the range
     */
    static ImageData read(Path file, ImageShape shape, String dtype, int from, int count) throws IOException {
        int valueBytes = dtype.equals("uint8") ? 1 : 4;
        long imageBytes = (long) shape.size() * valueBytes;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer preamble = readFully(channel, 0, PREAMBLE, file);
            if (!NpyFormat.matches(preamble.array()) || preamble.get(6) != 1) {
                throw new IOException("stored dataset " + file + " is not an npy file of version 1");
            }
            long data = PREAMBLE + Short.toUnsignedInt(preamble.order(ByteOrder.LITTLE_ENDIAN).getShort(8));
            ByteBuffer raw = readFully(channel, data + from * imageBytes, Math.toIntExact(count * imageBytes), file);
            if (valueBytes == 1) {
                return ImageData.ofBytes(shape, raw.array());
            }
            float[] floats = new float[count * shape.size()];
            raw.order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(floats);
            return ImageData.ofFloats(shape, floats);
        }
    }

    private static ByteBuffer readFully(FileChannel channel, long position, int length, Path file) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, position + buffer.position()) < 0) {
                throw new IOException("stored dataset " + file + " ends at byte " + (position + buffer.position())
                        + "; its metadata promises " + length + " bytes from " + position);
            }
        }
        return buffer.flip();
    }
}
