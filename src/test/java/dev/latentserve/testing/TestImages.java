package dev.latentserve.testing;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

/** Images in the layouts users' tools write, built with ImageIO, and the JPEG fixtures made by make_image_fixtures.py. */
public final class TestImages {

    private TestImages() {
    }

    /** One row of 8-bit RGB pixels, {@code 0xRRGGBB} each, as a straight RGB image. */
    public static BufferedImage rgb(int... pixels) {
        BufferedImage image = new BufferedImage(pixels.length, 1, BufferedImage.TYPE_INT_RGB);
        image.setRGB(0, 0, pixels.length, 1, pixels, 0, pixels.length);
        return image;
    }

    /** One row of 8-bit RGBA pixels, {@code 0xAARRGGBB} each, straight (not premultiplied) alpha. */
    public static BufferedImage argb(int... pixels) {
        BufferedImage image = new BufferedImage(pixels.length, 1, BufferedImage.TYPE_INT_ARGB);
        image.setRGB(0, 0, pixels.length, 1, pixels, 0, pixels.length);
        return image;
    }

    /** One row of indexed pixels over the palette {@code 0xAARRGGBB} entries: index i shows entry i. */
    public static BufferedImage palette(int... entries) {
        IndexColorModel model = new IndexColorModel(8, entries.length, entries, 0, true, -1, DataBuffer.TYPE_BYTE);
        BufferedImage image = new BufferedImage(entries.length, 1, BufferedImage.TYPE_BYTE_INDEXED, model);
        for (int i = 0; i < entries.length; i++) {
            image.getRaster().setSample(i, 0, 0, i);
        }
        return image;
    }

    /** A {@code width} x {@code height} image of {@code bits}-bit samples, {@code bands} per pixel (grey, grey+alpha, RGB, RGBA). */
    public static BufferedImage samples(int width, int height, int bits, int bands, int... values) {
        ColorSpace space = ColorSpace.getInstance(bands <= 2 ? ColorSpace.CS_GRAY : ColorSpace.CS_sRGB);
        boolean alpha = bands == 2 || bands == 4;
        int type = bits == 16 ? DataBuffer.TYPE_USHORT : DataBuffer.TYPE_BYTE;
        ColorModel model = new ComponentColorModel(space, alpha, false, alpha ? Transparency.TRANSLUCENT : Transparency.OPAQUE, type);
        WritableRaster raster = model.createCompatibleWritableRaster(width, height);
        raster.setPixels(0, 0, width, height, values);
        return new BufferedImage(model, raster, false, null);
    }

    /** {@code width} x {@code height} blocks of 8x8 pixels, 8-bit grey, block (row r, column c) at {@code levels[r * width + c]}. */
    public static BufferedImage greyBlocks(int width, int height, int... levels) {
        BufferedImage image = new BufferedImage(8 * width, 8 * height, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 8 * height; y++) {
            for (int x = 0; x < 8 * width; x++) {
                image.getRaster().setSample(x, y, 0, levels[(y / 8) * width + x / 8]);
            }
        }
        return image;
    }

    public static byte[] png(BufferedImage image) {
        return write(image, "png", false);
    }

    public static byte[] jpeg(BufferedImage image, boolean progressive) {
        return write(image, "jpeg", progressive);
    }

    private static byte[] write(BufferedImage image, String format, boolean progressive) {
        ImageWriter writer = ImageIO.getImageWritersByFormatName(format).next();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ImageOutputStream stream = ImageIO.createImageOutputStream(out)) {
            writer.setOutput(stream);
            ImageWriteParam param = writer.getDefaultWriteParam();
            if (format.equals("jpeg")) {
                param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
                param.setCompressionQuality(1f);
                param.setProgressiveMode(progressive ? ImageWriteParam.MODE_DEFAULT : ImageWriteParam.MODE_DISABLED);
            }
            writer.write(null, new IIOImage(image, null, null), param);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }

    /** A file made by src/test/resources/fixtures/images/make_image_fixtures.py. */
    public static byte[] fixture(String name) {
        try (InputStream in = TestImages.class.getResourceAsStream("/fixtures/images/" + name)) {
            if (in == null) {
                throw new IllegalStateException("no fixture " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
