package dev.latentserve.image;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.DirectColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;

/**
 * The samples of an image a reader returned, in the image's own colour layout: grey (1 channel) or colour (3), integers
 * in [0, maxSample] in CHW order, alpha already composited on black.
 *
 * @param maxSample the largest sample value of the file: 255 for 8-bit files, 65535 for 16-bit ones
 */
record ImageSamples(int channels, int height, int width, int maxSample, int[] values) {

    private static final int MAX_DIRECT_BITS = 16;

    /**
     * Reads grey and RGB rasters of up to 16 bits as stored; palettes and anything else through the image's own
     * conversion to 8-bit sRGB. A palette whose entries are all grey counts as grey: the JDK's PNG reader returns 1-,
     * 2- and 4-bit grey PNGs as such palettes.
     */
    static ImageSamples of(BufferedImage image) {
        ColorModel model = image.getColorModel();
        if (isDirect(model)) {
            return fromRaster(image.getRaster(), model);
        }
        return fromArgb(image, model instanceof IndexColorModel palette && isGrey(palette));
    }

    /** Grey or RGB components of equal width up to 16 bits, read from the raster without colour conversion. */
    private static boolean isDirect(ColorModel model) {
        int type = model.getColorSpace().getType();
        if (!(model instanceof ComponentColorModel || model instanceof DirectColorModel)
                || (type != ColorSpace.TYPE_GRAY && type != ColorSpace.TYPE_RGB)
                || model.getTransferType() == DataBuffer.TYPE_FLOAT || model.getTransferType() == DataBuffer.TYPE_DOUBLE) {
            return false;
        }
        int bits = model.getComponentSize(0);
        for (int size : model.getComponentSize()) {
            if (size != bits) {
                return false;
            }
        }
        return bits <= MAX_DIRECT_BITS;
    }

    private static ImageSamples fromRaster(Raster raster, ColorModel model) {
        int channels = model.getNumColorComponents() == 1 ? 1 : 3;
        int bands = model.getNumComponents();
        // Premultiplied samples are already composited on black; straight alpha is applied here.
        boolean alpha = model.hasAlpha() && !model.isAlphaPremultiplied();
        int maxSample = (1 << model.getComponentSize(0)) - 1;
        int width = raster.getWidth();
        int height = raster.getHeight();
        int plane = width * height;
        int[] values = new int[channels * plane];
        int[] row = new int[width * bands];
        for (int y = 0; y < height; y++) {
            raster.getPixels(raster.getMinX(), raster.getMinY() + y, width, 1, row);
            for (int x = 0; x < width; x++) {
                int at = x * bands;
                for (int c = 0; c < channels; c++) {
                    int sample = row[at + c];
                    values[c * plane + y * width + x] = alpha ? onBlack(sample, row[at + bands - 1], maxSample) : sample;
                }
            }
        }
        return new ImageSamples(channels, height, width, maxSample, values);
    }

    private static ImageSamples fromArgb(BufferedImage image, boolean grey) {
        int width = image.getWidth();
        int height = image.getHeight();
        int plane = width * height;
        int[] argb = image.getRGB(0, 0, width, height, null, 0, width);
        int channels = grey ? 1 : 3;
        int[] values = new int[channels * plane];
        for (int i = 0; i < plane; i++) {
            int alpha = argb[i] >>> 24;
            for (int c = 0; c < channels; c++) {
                values[c * plane + i] = onBlack((argb[i] >> (16 - 8 * c)) & 0xFF, alpha, 255);
            }
        }
        return new ImageSamples(channels, height, width, 255, values);
    }

    private static boolean isGrey(IndexColorModel palette) {
        for (int i = 0; i < palette.getMapSize(); i++) {
            if (palette.getRed(i) != palette.getGreen(i) || palette.getGreen(i) != palette.getBlue(i)) {
                return false;
            }
        }
        return true;
    }

    /** {@code sample} composited over black with straight {@code alpha}, rounded to the nearest level. */
    static int onBlack(int sample, int alpha, int maxSample) {
        return (int) (((long) sample * alpha + maxSample / 2) / maxSample);
    }

    /** As floats in [0, 1]: each value divided by {@code maxSample}. */
    float[] toUnitFloats() {
        float[] pixels = new float[values.length];
        float scale = maxSample;
        for (int i = 0; i < values.length; i++) {
            pixels[i] = values[i] / scale;
        }
        return pixels;
    }
}
