package dev.latentserve.datasets;

import dev.latentserve.image.ImageCodec;
import dev.latentserve.image.ImageConversion;
import dev.latentserve.image.ImageData;
import dev.latentserve.image.ImageShape;
import dev.latentserve.image.InvalidImageException;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;
import org.jspecify.annotations.Nullable;

/**
 * A zip of PNG or JPEG files, one image each, all of one size as displayed (EXIF orientation applied); taken in
 * entry-name order. The dataset is grey when every image is grey, else RGB with grey images repeated in each channel.
 * Entry names that climb out of the archive, and archives that inflate beyond the limits, are refused
 * before anything is stored.
 */
final class ZipImagesFormat {

    private ZipImagesFormat() {
    }

    /** A zip's first local header, or the end record that is all an empty zip holds (so it is refused as empty, not unknown). */
    static boolean matches(byte[] head) {
        return head.length >= 4 && head[0] == 'P' && head[1] == 'K' && ((head[2] == 3 && head[3] == 4) || (head[2] == 5 && head[3] == 6));
    }

    static ImageData read(InputStream input, UploadLimits limits) throws IOException {
        Map<String, ImageCodec.Decoded> images = new TreeMap<>();
        ImageShape first = null;
        String firstName = null;
        int channels = 1;
        ArchiveTail archive = new ArchiveTail(input);
        try (ZipInputStream zip = new ZipInputStream(archive)) {
            ZipEntry entry;
            while ((entry = nextEntry(zip)) != null) {
                String name = entry.getName();
                checkName(name);
                if (entry.isDirectory() || isMetadata(name)) {
                    continue;
                }
                limits.checkImages(images.size() + 1L);
                byte[] bytes = new LimitedInputStream(zip, limits.maxDecodedBytes(), "zip entry " + name).readAllBytes();
                ImageCodec.Decoded decoded;
                try {
                    decoded = ImageCodec.decode(bytes, limits.maxSide());
                } catch (InvalidImageException e) {
                    throw DatasetFormatException.malformed("zip entry '" + name + "': " + e.getMessage());
                }
                ImageShape shape = decoded.shape();
                if (first == null) {
                    first = shape;
                    firstName = name;
                } else if (shape.height() != first.height() || shape.width() != first.width()) {
                    throw DatasetFormatException.malformed("mixed image sizes: '" + firstName + "' is " + first.width() + "x"
                            + first.height() + " (width x height) but '" + name + "' is " + shape.width() + "x" + shape.height()
                            + "; all images of a dataset must have one size");
                }
                channels = Math.max(channels, shape.channels());
                // Decoded images are held as floats until the end: count the 4 bytes each value really takes, so a
                // small zip of large blank PNGs cannot decode into several times the limit and exhaust the heap.
                limits.checkDecodedBytes((long) (images.size() + 1) * channels * shape.height() * shape.width() * Float.BYTES);
                images.put(name, decoded);
            }
            if (!archive.endsWithEndRecord()) {
                throw DatasetFormatException.malformed("zip archive is truncated (or has bytes after its end): it does not end "
                        + "with the central directory that zip tools write last");
            }
        } catch (ZipException e) {
            throw DatasetFormatException.malformed("zip archive is corrupt: " + e.getMessage());
        } catch (EOFException e) {
            throw DatasetFormatException.malformed("zip archive is truncated: it ends inside an entry or its header");
        }
        if (first == null) {
            throw DatasetFormatException.malformed("zip archive holds no PNG or JPEG images");
        }
        // One colour image makes an RGB dataset: the grey ones are repeated into three channels, as torchvision's
        // ImageFolder loads every file as RGB. All grey (or grey palette) files make a grey dataset.
        ImageShape shape = new ImageShape(channels, first.height(), first.width());
        float[] pixels = new float[images.size() * shape.size()];
        int offset = 0;
        for (var entries = images.values().iterator(); entries.hasNext(); ) {
            System.arraycopy(ImageConversion.toChannels(entries.next(), channels).pixels(), 0, pixels, offset, shape.size());
            entries.remove(); // let each image go once copied: the peak stays near one copy of the data
            offset += shape.size();
        }
        return toUint8IfExact(shape, pixels);
    }

    /** PNG/JPEG pixels are 8-bit: keep them as bytes, a quarter of the memory of floats. */
    private static ImageData toUint8IfExact(ImageShape shape, float[] pixels) {
        byte[] bytes = new byte[pixels.length];
        for (int i = 0; i < pixels.length; i++) {
            float scaled = pixels[i] * 255f;
            int rounded = Math.round(scaled);
            if (Math.abs(scaled - rounded) > 1e-3f) {
                return ImageData.ofFloats(shape, pixels);
            }
            bytes[i] = (byte) rounded;
        }
        return ImageData.ofBytes(shape, bytes);
    }

    private static @Nullable ZipEntry nextEntry(ZipInputStream zip) throws IOException {
        try {
            return zip.getNextEntry();
        } catch (IllegalArgumentException e) {
            // For an entry name that is not valid UTF-8, JDK 17 throws this (measured); JDK 25 a ZipException.
            throw DatasetFormatException.malformed("zip entry name is not valid UTF-8: " + e.getMessage());
        }
    }

    private static void checkName(String name) {
        String normalized = name.replace('\\', '/');
        boolean absolute = normalized.startsWith("/") || normalized.matches("^[A-Za-z]:.*");
        boolean climbs = ("/" + normalized + "/").contains("/../");
        if (absolute || climbs || normalized.indexOf('\0') >= 0) {
            throw DatasetFormatException.malformed("zip entry name '" + name + "' points outside the archive; refusing it");
        }
    }

    private static boolean isMetadata(String name) {
        String base = name.substring(name.lastIndexOf('/') + 1);
        return name.startsWith("__MACOSX/") || base.startsWith(".");
    }
}
