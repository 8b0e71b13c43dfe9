package dev.latentserve.image;

import com.drew.imaging.jpeg.JpegMetadataReader;
import com.drew.imaging.jpeg.JpegProcessingException;
import com.drew.metadata.Metadata;
import com.drew.metadata.exif.ExifDirectoryBase;
import com.drew.metadata.exif.ExifIFD0Directory;
import com.drew.metadata.exif.ExifReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.List;

/**
 * The EXIF Orientation tag (0x0112) of a JPEG and the turn it asks for: cameras store the sensor's rows as they come
 * and record how to show them (phones held upright write 6: rotate 90 degrees clockwise). Values as in EXIF 2.32 and
 * Pillow's {@code ImageOps.exif_transpose}: 1 as stored, 2 mirrored left-right, 3 rotated 180, 4 mirrored top-bottom,
 * 5 transposed, 6 rotated 90 clockwise, 7 transversed, 8 rotated 90 counter-clockwise; 5 to 8 swap width and height.
 */
final class ExifOrientation {

    static final int AS_STORED = 1;

    private ExifOrientation() {
    }

    /**
     * The orientation of a JPEG, or {@link #AS_STORED} when it has none, an unknown value or EXIF data that cannot be
     * read: like browsers, a broken EXIF block does not stop the picture from being shown.
     */
    static int read(byte[] jpeg) {
        try {
            // Only the EXIF reader: the other segment readers (XMP, ICC, Photoshop...) would parse more hostile input for nothing.
            Metadata metadata = JpegMetadataReader.readMetadata(new ByteArrayInputStream(jpeg), List.of(new ExifReader()));
            ExifIFD0Directory ifd0 = metadata.getFirstDirectoryOfType(ExifIFD0Directory.class);
            Integer value = ifd0 == null ? null : ifd0.getInteger(ExifDirectoryBase.TAG_ORIENTATION);
            return value != null && value >= 1 && value <= 8 ? value : AS_STORED;
        } catch (JpegProcessingException | IOException | RuntimeException e) {
            return AS_STORED;
        }
    }

    /** {@code stored} turned as {@code orientation} asks, so that it reads as displayed. */
    static ImageSamples apply(int orientation, ImageSamples stored) {
        if (orientation == AS_STORED) {
            return stored;
        }
        int width = stored.width();
        int height = stored.height();
        boolean swaps = orientation >= 5;
        int shownWidth = swaps ? height : width;
        int shownHeight = swaps ? width : height;
        int plane = width * height;
        int[] values = new int[stored.values().length];
        for (int y = 0; y < shownHeight; y++) {
            for (int x = 0; x < shownWidth; x++) {
                int from = storedIndex(orientation, x, y, width, height);
                for (int c = 0; c < stored.channels(); c++) {
                    values[c * plane + y * shownWidth + x] = stored.values()[c * plane + from];
                }
            }
        }
        return new ImageSamples(stored.channels(), shownHeight, shownWidth, stored.maxSample(), values);
    }

    /** Where the displayed pixel (x, y) lies in the stored {@code width} x {@code height} picture. */
    private static int storedIndex(int orientation, int x, int y, int width, int height) {
        return switch (orientation) {
            case 2 -> y * width + (width - 1 - x);
            case 3 -> (height - 1 - y) * width + (width - 1 - x);
            case 4 -> (height - 1 - y) * width + x;
            case 5 -> x * width + y;
            case 6 -> (height - 1 - x) * width + y;
            case 7 -> (height - 1 - x) * width + (width - 1 - y);
            case 8 -> x * width + (width - 1 - y);
            default -> y * width + x;
        };
    }
}
