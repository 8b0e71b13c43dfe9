package dev.latentserve.image;

import java.util.Arrays;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A set of images held in memory, row-major CHW. Stored as the bytes they came in (uint8, 4x smaller
 * than floats for MNIST-like data) or as floats in [0, 1]; read out as floats batch by batch.
 */
public final class ImageData {

    private final ImageShape shape;
    private final int count;
    private final byte @Nullable [] bytes;
    private final float @Nullable [] floats;

    private ImageData(ImageShape shape, int count, byte @Nullable [] bytes, float @Nullable [] floats) {
        this.shape = shape;
        this.count = count;
        this.bytes = bytes;
        this.floats = floats;
    }

    public static ImageData ofBytes(ImageShape shape, byte[] pixels) {
        return new ImageData(shape, checkedCount(shape, pixels.length), pixels, null);
    }

    public static ImageData ofFloats(ImageShape shape, float[] pixels) {
        return new ImageData(shape, checkedCount(shape, pixels.length), null, pixels);
    }

    private static int checkedCount(ImageShape shape, long length) {
        if (length % shape.size() != 0) {
            throw new IllegalArgumentException(length + " values are not a whole number of " + shape + " images");
        }
        return Math.toIntExact(length / shape.size());
    }

    public ImageShape shape() {
        return shape;
    }

    public int count() {
        return count;
    }

    public boolean isUint8() {
        return bytes != null;
    }

    /** Raw uint8 pixels, or null when the data is float. */
    public byte @Nullable [] uint8() {
        return bytes;
    }

    /** Raw float pixels, or null when the data is uint8. */
    public float @Nullable [] float32() {
        return floats;
    }

    /** A copy of the first {@code n} images, or these images themselves when there are no more than {@code n}. */
    public ImageData first(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("cannot take the first " + n + " images");
        }
        if (n >= count) {
            return this;
        }
        int length = n * shape.size();
        return bytes != null ? new ImageData(shape, n, Arrays.copyOf(bytes, length), null)
                : new ImageData(shape, n, null, Arrays.copyOf(Objects.requireNonNull(floats), length));
    }

    /** Copies image {@code index} as floats in [0, 1] into {@code target} at {@code offset}. */
    public void copyImage(int index, float[] target, int offset) {
        int size = shape.size();
        int from = index * size;
        if (bytes != null) {
            for (int i = 0; i < size; i++) {
                target[offset + i] = (bytes[from + i] & 0xFF) / 255f;
            }
        } else {
            System.arraycopy(Objects.requireNonNull(floats), from, target, offset, size);
        }
    }

    /** Images {@code from} to {@code to - 1}, one array of C x H x W floats in [0, 1] each, as served models take them. */
    public float[][] images(int from, int to) {
        float[][] images = new float[to - from][shape.size()];
        for (int i = from; i < to; i++) {
            copyImage(i, images[i - from], 0);
        }
        return images;
    }

    /** The images at {@code indices}, packed into one float array (N x C x H x W). */
    public float[] gather(int[] indices, int from, int to) {
        int size = shape.size();
        float[] batch = new float[(to - from) * size];
        for (int i = from; i < to; i++) {
            copyImage(indices[i], batch, (i - from) * size);
        }
        return batch;
    }
}
