package dev.latentserve.image;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/** PNG/JPEG bytes to CHW floats in [0, 1] and back; grids of images as one PNG. */
public final class ImageCodec {

    private static final int GRID_GAP = 2;

    private ImageCodec() {
    }

    /** A decoded image: its shape as found and its CHW pixels. */
    public record Decoded(ImageShape shape, float[] pixels) {
    }

    /**
     * Decodes PNG or JPEG bytes. Reads the header first and refuses images with a side over
     * {@code maxSide} before allocating pixels, so a small file cannot expand into gigabytes.
     */
    public static Decoded decode(byte[] data, int maxSide) {
        // In memory: ImageIO's default stream caches on disk and registers a shutdown hook, which fails once the
        // JVM is stopping (requests still answered during a graceful shutdown got 500s).
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(data))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new InvalidImageException("not a PNG or JPEG image");
            }
            ImageReader reader = readers.next();
            try {
                String format = reader.getFormatName().toLowerCase();
                if (!format.equals("png") && !format.equals("jpeg")) {
                    throw new InvalidImageException("unsupported image format " + format + "; send PNG or JPEG");
                }
                reader.setInput(in, true, true);
                int width = reader.getWidth(0);
                int height = reader.getHeight(0);
                if (width > maxSide || height > maxSide) {
                    throw new InvalidImageException("image is " + width + "x" + height + "; the limit is " + maxSide + " per side");
                }
                return toPixels(reader.read(0));
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof InvalidImageException invalid) {
                throw invalid;
            }
            throw new InvalidImageException("image could not be decoded: " + e.getMessage());
        }
    }

    private static Decoded toPixels(BufferedImage image) {
        Raster raster = image.getRaster();
        int bands = image.getColorModel().getNumColorComponents();
        int channels = bands >= 3 ? 3 : 1;
        int width = image.getWidth();
        int height = image.getHeight();
        ImageShape shape = new ImageShape(channels, height, width);
        float[] pixels = new float[shape.size()];
        int plane = height * width;
        if (channels == 1 && raster.getNumBands() <= 2) {
            int maxValue = (1 << image.getColorModel().getComponentSize(0)) - 1;
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    pixels[y * width + x] = raster.getSample(x, y, 0) / (float) maxValue;
                }
            }
            return new Decoded(shape, pixels);
        }
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int rgb = image.getRGB(x, y);
                float r = ((rgb >> 16) & 0xFF) / 255f;
                float g = ((rgb >> 8) & 0xFF) / 255f;
                float b = (rgb & 0xFF) / 255f;
                int at = y * width + x;
                if (channels == 1) {
                    pixels[at] = r;
                } else {
                    pixels[at] = r;
                    pixels[plane + at] = g;
                    pixels[2 * plane + at] = b;
                }
            }
        }
        return new Decoded(shape, pixels);
    }

    /** One image as PNG (grey or RGB), values clamped to [0, 1]. */
    public static byte[] png(ImageShape shape, float[] pixels) {
        return grid(shape, List.of(pixels), 1);
    }

    /** Images laid out in a grid of {@code columns} with a small gap, as one PNG. */
    public static byte[] grid(ImageShape shape, List<float[]> images, int columns) {
        int cols = Math.max(1, Math.min(columns, images.size()));
        int rows = (images.size() + cols - 1) / cols;
        int gap = images.size() == 1 ? 0 : GRID_GAP;
        int width = cols * shape.width() + (cols - 1) * gap;
        int height = rows * shape.height() + (rows - 1) * gap;
        int channels = shape.channels();
        byte[] samples = new byte[width * height * channels];
        int plane = shape.height() * shape.width();
        for (int i = 0; i < images.size(); i++) {
            float[] pixels = images.get(i);
            int left = (i % cols) * (shape.width() + gap);
            int top = (i / cols) * (shape.height() + gap);
            for (int y = 0; y < shape.height(); y++) {
                for (int x = 0; x < shape.width(); x++) {
                    int from = y * shape.width() + x;
                    int to = ((top + y) * width + left + x) * channels;
                    for (int c = 0; c < channels; c++) {
                        samples[to + c] = (byte) toByte(pixels[c * plane + from]);
                    }
                }
            }
        }
        return PngEncoder.encode(width, height, channels, samples);
    }

    /** Columns of a near-square grid for {@code count} images. */
    public static int gridColumns(int count) {
        return (int) Math.ceil(Math.sqrt(count));
    }

    private static int toByte(float value) {
        float clamped = Float.isNaN(value) ? 0f : Math.max(0f, Math.min(1f, value));
        return Math.round(clamped * 255f);
    }
}
