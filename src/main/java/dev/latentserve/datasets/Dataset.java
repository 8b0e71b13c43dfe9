package dev.latentserve.datasets;

import dev.latentserve.image.ImageShape;
import java.time.Instant;

/**
 * A stored set of images.
 *
 * @param id the identifier used in job requests
 * @param name a label given at upload (the file name by default)
 * @param format what was uploaded: idx, zip or npy
 * @param dtype how pixels are stored: uint8 or float32
 */
public record Dataset(String id, String name, int count, int channels, int height, int width, String format, String dtype,
        Instant createdAt) {

    public ImageShape shape() {
        return new ImageShape(channels, height, width);
    }
}
