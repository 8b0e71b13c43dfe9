package dev.latentserve.image;

/** Channels x height x width of one image, as the models see it (CHW, values in [0, 1]). */
public record ImageShape(int channels, int height, int width) {

    public static final int MAX_SIDE = 1024;

    public ImageShape {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("images must have 1 (grey) or 3 (RGB) channels, not " + channels);
        }
        if (height < 1 || width < 1 || height > MAX_SIDE || width > MAX_SIDE) {
            throw new IllegalArgumentException("image sides must be within 1.." + MAX_SIDE + ", not " + height + "x" + width);
        }
    }

    public int size() {
        return channels * height * width;
    }

    @Override
    public String toString() {
        return channels + "x" + height + "x" + width;
    }
}
