package dev.latentserve.testing;

import dev.latentserve.image.ImageData;
import dev.latentserve.image.ImageShape;
import java.util.SplittableRandom;

/** Small generated image sets: soft bright blobs at random places on a dark ground, learnable in seconds. */
public final class SyntheticImages {

    private SyntheticImages() {
    }

    public static ImageData blobs(ImageShape shape, int count, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        byte[] pixels = new byte[count * shape.size()];
        int plane = shape.height() * shape.width();
        for (int n = 0; n < count; n++) {
            double cy = shape.height() * (0.25 + 0.5 * random.nextDouble());
            double cx = shape.width() * (0.25 + 0.5 * random.nextDouble());
            double radius = shape.height() * (0.2 + 0.15 * random.nextDouble());
            for (int c = 0; c < shape.channels(); c++) {
                double intensity = 0.8 + 0.2 * random.nextDouble();
                for (int y = 0; y < shape.height(); y++) {
                    for (int x = 0; x < shape.width(); x++) {
                        double d2 = ((y - cy) * (y - cy) + (x - cx) * (x - cx)) / (radius * radius);
                        double value = intensity * Math.exp(-d2);
                        pixels[n * shape.size() + c * plane + y * shape.width() + x] = (byte) Math.round(value * 255);
                    }
                }
            }
        }
        return ImageData.ofBytes(shape, pixels);
    }
}
