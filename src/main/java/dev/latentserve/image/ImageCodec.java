package dev.latentserve.image;

import com.twelvemonkeys.imageio.plugins.jpeg.JPEGImageReaderSpi;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.spi.IIORegistry;
import javax.imageio.spi.ImageReaderSpi;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * PNG/JPEG bytes to CHW floats in [0, 1] and back; grids of images as one PNG.
 *
 * <p>Decoding accepts what common tools write: grey, RGB, palette, grey+alpha and RGBA PNGs of 1 to 16 bits, and
 * baseline or progressive JPEGs in grey, YCbCr, RGB, CMYK or YCCK (the last two through TwelveMonkeys' reader, which
 * converts them to sRGB). Alpha is composited on black; JPEGs are turned as their EXIF orientation says. Other formats
 * (GIF, BMP, TIFF, WebP...) are refused.
 */
public final class ImageCodec {

    private static final int GRID_GAP = 2;
    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    private static final byte[] JPEG_START = {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF};
    private static final ImageReaderSpi PNG = pngReader();
    private static final ImageReaderSpi JPEG = jpegReader();

    private ImageCodec() {
    }

    /**
     * A decoded image.
     *
     * @param shape channels (1 grey, 3 RGB), height and width as displayed
     * @param pixels {@code shape.size()} values in [0, 1], CHW (channel-major, then rows top to bottom)
     * @param maxSample the largest sample value of the file (255 for 8-bit images, 65535 for 16-bit ones): every pixel
     *        is a whole number divided by it
     */
    public record Decoded(ImageShape shape, float[] pixels, int maxSample) {
    }

    /**
     * Decodes PNG or JPEG bytes in the image's own colour layout: grey (1 channel) for grey and grey+alpha PNGs, grey
     * palettes and grey JPEGs; RGB (3 channels) for everything else. Reads the header first and refuses images with a
     * side over {@code maxSide} before allocating pixels, so a small file cannot expand into gigabytes.
     *
     * @param maxSide the largest width or height accepted
     * @return the image as displayed (EXIF orientation applied), pixels in [0, 1]
     * @throws InvalidImageException if the bytes are not a PNG or JPEG, are damaged or truncated, or the image is larger
     *         than {@code maxSide} on a side; never another runtime exception, whatever the bytes
     */
    public static Decoded decode(byte[] data, int maxSide) {
        ImageReaderSpi format = format(data);
        try {
            ImageSamples samples = read(format, data, maxSide);
            if (format == JPEG) {
                samples = ExifOrientation.apply(ExifOrientation.read(data), samples);
            }
            ImageShape shape = new ImageShape(samples.channels(), samples.height(), samples.width());
            return new Decoded(shape, samples.toUnitFloats(), samples.maxSample());
        } catch (IOException | RuntimeException e) {
            // Readers fail on hostile input with IllegalArgumentException, ArrayIndexOutOfBoundsException,
            // NegativeArraySizeException and the like, not only IOException: all mean the same to the caller.
            if (e instanceof InvalidImageException invalid) {
                throw invalid;
            }
            throw new InvalidImageException("image could not be decoded: "
                    + (e.getMessage() == null ? "damaged or truncated data" : e.getMessage()));
        } catch (OutOfMemoryError e) {
            // A header that declares enormous tables or segments, within the side limit.
            throw new InvalidImageException("image could not be decoded: it needs more memory than is available");
        }
    }

    /**
     * Decodes as {@link #decode(byte[], int)} does, then converts to {@code channels} as
     * {@link ImageConversion#toChannels} does; height and width stay as found.
     *
     * @param channels 1 (grey) or 3 (RGB)
     * @throws InvalidImageException as {@link #decode(byte[], int)}
     */
    public static Decoded decode(byte[] data, int maxSide, int channels) {
        return ImageConversion.toChannels(decode(data, maxSide), channels);
    }

    private static ImageReaderSpi format(byte[] data) {
        if (startsWith(data, PNG_SIGNATURE)) {
            return PNG;
        }
        if (startsWith(data, JPEG_START)) {
            return JPEG;
        }
        throw new InvalidImageException("not a PNG or JPEG image");
    }

    private static ImageSamples read(ImageReaderSpi format, byte[] data, int maxSide) throws IOException {
        // In memory: ImageIO's default stream caches on disk and registers a shutdown hook, which fails once the
        // JVM is stopping (requests still answered during a graceful shutdown got 500s).
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(data))) {
            ImageReader reader = format.createReaderInstance();
            try {
                reader.setInput(in, true, true);
                int width = reader.getWidth(0);
                int height = reader.getHeight(0);
                if (width > maxSide || height > maxSide) {
                    throw new InvalidImageException("image is " + width + "x" + height + "; the limit is " + maxSide + " per side");
                }
                // A JPEG cut short decodes "successfully" with the rest grey and only a warning ("Premature end of JPEG
                // file"); Pillow refuses such a file, and so do we: the model would see half an image.
                List<String> warnings = new ArrayList<>();
                reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
                BufferedImage image = reader.read(0);
                for (String warning : warnings) {
                    String lower = warning.toLowerCase(Locale.ROOT);
                    if (lower.contains("premature end") || lower.contains("truncat") || lower.contains("corrupt")) {
                        throw new InvalidImageException("image is truncated or damaged (" + warning + "); send the whole file");
                    }
                }
                return ImageSamples.of(image);
            } finally {
                reader.dispose();
            }
        }
    }

    private static boolean startsWith(byte[] data, byte[] prefix) {
        return data.length >= prefix.length && Arrays.equals(data, 0, prefix.length, prefix, 0, prefix.length);
    }

    private static ImageReaderSpi pngReader() {
        Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName("png");
        ImageReader reader = readers.next();
        ImageReaderSpi provider = reader.getOriginatingProvider();
        reader.dispose();
        return provider;
    }

    /**
     * TwelveMonkeys' JPEG reader (CMYK, YCCK, embedded colour profiles), which wraps the JDK's. ImageIO finds plug-ins
     * through the class loader of the thread that first uses it, which need not see the application's jars (a nested
     * jar in a Spring Boot archive, for one): register it here if that scan missed it.
     */
    private static ImageReaderSpi jpegReader() {
        IIORegistry registry = IIORegistry.getDefaultInstance();
        JPEGImageReaderSpi provider = registry.getServiceProviderByClass(JPEGImageReaderSpi.class);
        if (provider == null) {
            provider = new JPEGImageReaderSpi();
            registry.registerServiceProvider(provider, ImageReaderSpi.class);
        }
        return provider;
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

    /** A pixel in [0, 1] as the 8-bit value PNG answers carry: clamped, NaN as 0, rounded to the nearest of 0..255. */
    public static int toByte(float value) {
        float clamped = Float.isNaN(value) ? 0f : Math.max(0f, Math.min(1f, value));
        return Math.round(clamped * 255f);
    }
}
