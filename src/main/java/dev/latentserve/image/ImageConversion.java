package dev.latentserve.image;

/**
 * Converts a decoded image to the channel count a model takes, the way Pillow's {@code convert("L")} and
 * torchvision's loaders do: colour to grey by the ITU-R BT.601 luma, grey to colour by repeating the grey value.
 * Height and width are never changed.
 */
public final class ImageConversion {

    // BT.601 luma weights 0.299, 0.587, 0.114 in 16-bit fixed point (they sum to 65536, so grey stays grey), as Pillow
    // computes them: the same rounding gives the same grey levels as images converted with Pillow.
    private static final long RED = 19595;
    private static final long GREEN = 38470;
    private static final long BLUE = 7471;
    private static final int FIXED_POINT_BITS = 16;

    private ImageConversion() {
    }

    /**
     * {@code image} with {@code channels} channels: unchanged when it has them; grey to RGB by repeating the plane; RGB
     * to grey by {@link #luma(long, long, long) luma}, rounded to the image's sample levels (1/255 for 8-bit files).
     *
     * @param channels 1 (grey) or 3 (RGB)
     * @return an image of the same height and width, pixels CHW in [0, 1]
     * @throws IllegalArgumentException if {@code channels} is neither 1 nor 3
     */
    public static ImageCodec.Decoded toChannels(ImageCodec.Decoded image, int channels) {
        ImageShape from = image.shape();
        ImageShape to = new ImageShape(channels, from.height(), from.width());
        if (from.channels() == channels) {
            return image;
        }
        int plane = from.height() * from.width();
        float[] pixels = new float[to.size()];
        if (channels == 3) {
            for (int c = 0; c < 3; c++) {
                System.arraycopy(image.pixels(), 0, pixels, c * plane, plane);
            }
        } else {
            float[] rgb = image.pixels();
            int max = image.maxSample();
            for (int i = 0; i < plane; i++) {
                long grey = luma(level(rgb[i], max), level(rgb[plane + i], max), level(rgb[2 * plane + i], max));
                pixels[i] = grey / (float) max;
            }
        }
        return new ImageCodec.Decoded(to, pixels, image.maxSample());
    }

    /** ITU-R BT.601 luma 0.299 R + 0.587 G + 0.114 B of integer samples, rounded as Pillow rounds it. */
    static long luma(long red, long green, long blue) {
        return (red * RED + green * GREEN + blue * BLUE + (1L << (FIXED_POINT_BITS - 1))) >> FIXED_POINT_BITS;
    }

    private static long level(float value, int maxSample) {
        return Math.round(value * maxSample);
    }
}
