package dev.latentserve.image;

import static dev.latentserve.testing.TestImages.argb;
import static dev.latentserve.testing.TestImages.fixture;
import static dev.latentserve.testing.TestImages.greyBlocks;
import static dev.latentserve.testing.TestImages.jpeg;
import static dev.latentserve.testing.TestImages.palette;
import static dev.latentserve.testing.TestImages.png;
import static dev.latentserve.testing.TestImages.rgb;
import static dev.latentserve.testing.TestImages.samples;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/**
 * Our PNG writer read back: the same 8-bit values, grey and RGB, single images and grids. Then the layouts other tools
 * write, each decoded to known sample levels, and the inputs that must be refused.
 */
class ImageCodecTests {

    @Test
    void greyAndRgbImagesOfOddSizesRoundTripToTheir8BitValues() {
        for (ImageShape shape : List.of(new ImageShape(1, 28, 28), new ImageShape(1, 5, 37), new ImageShape(3, 7, 3),
                new ImageShape(3, 1, 1))) {
            float[] pixels = random(shape.size(), shape.size());
            ImageCodec.Decoded decoded = ImageCodec.decode(ImageCodec.png(shape, pixels), 512);
            assertThat(decoded.shape()).isEqualTo(shape);
            for (int i = 0; i < pixels.length; i++) {
                assertThat(Math.round(decoded.pixels()[i] * 255)).as("sample %d of %s", i, shape)
                        .isEqualTo(Math.round(pixels[i] * 255));
            }
        }
    }

    @Test
    void valuesOutsideTheUnitRangeAreClamped() {
        ImageShape shape = new ImageShape(1, 1, 3);
        ImageCodec.Decoded decoded = ImageCodec.decode(ImageCodec.png(shape, new float[] {-2f, Float.NaN, 7f}), 16);
        assertThat(decoded.pixels()).containsExactly(0f, 0f, 1f);
    }

    @Test
    void aGridPlacesEachImageInItsCellWithBlackGapsBetween() {
        ImageShape shape = new ImageShape(3, 2, 2);
        List<float[]> images = List.of(constant(shape, 0.2f), constant(shape, 0.6f), constant(shape, 1f));
        ImageCodec.Decoded grid = ImageCodec.decode(ImageCodec.grid(shape, images, 2), 64);
        // Two columns of 2 pixels with a 2-pixel gap: 6 wide; two rows: 6 high.
        assertThat(grid.shape()).isEqualTo(new ImageShape(3, 6, 6));
        assertThat(at(grid, 0, 1, 1)).isEqualTo(Math.round(0.2f * 255));
        assertThat(at(grid, 2, 4, 0)).isEqualTo(Math.round(0.6f * 255));
        assertThat(at(grid, 1, 1, 5)).isEqualTo(255);
        assertThat(at(grid, 0, 2, 0)).as("gap").isZero();
        assertThat(at(grid, 1, 5, 5)).as("empty cell").isZero();
    }

    @Test
    void aGreyImageSavedAsRgbDecodesToThreeEqualChannels() {
        ImageCodec.Decoded decoded = ImageCodec.decode(png(rgb(0x141414, 0x808080, 0xFAFAFA)), 16);
        assertThat(decoded.shape()).isEqualTo(new ImageShape(3, 1, 3));
        assertThat(levels(decoded)).containsExactly(20, 128, 250, 20, 128, 250, 20, 128, 250);
    }

    @Test
    void aPaletteImageDecodesToItsEntriesWithTransparentOnesCompositedOnBlack() {
        // Opaque red, opaque (10, 200, 30), (200, 100, 50) at alpha 128, transparent white.
        ImageCodec.Decoded decoded = ImageCodec.decode(png(palette(0xFFFF0000, 0xFF0AC81E, 0x80C86432, 0x00FFFFFF)), 16);
        assertThat(decoded.shape()).isEqualTo(new ImageShape(3, 1, 4));
        // 200 * 128 / 255 = 100.4, 100 * 128 / 255 = 50.2, 50 * 128 / 255 = 25.1
        assertThat(levels(decoded)).containsExactly(255, 10, 100, 0, 0, 200, 50, 0, 0, 30, 25, 0);
    }

    @Test
    void aPaletteOfGreysAndALowBitDepthGreyPngDecodeAsGrey() {
        ImageCodec.Decoded greys = ImageCodec.decode(png(palette(0xFF000000, 0xFF555555, 0xFFAAAAAA, 0xFFFFFFFF)), 16);
        assertThat(greys.shape()).isEqualTo(new ImageShape(1, 1, 4));
        assertThat(levels(greys)).containsExactly(0, 85, 170, 255);

        BufferedImage binary = new BufferedImage(3, 1, BufferedImage.TYPE_BYTE_BINARY);
        binary.getRaster().setSample(1, 0, 0, 1);
        ImageCodec.Decoded oneBit = ImageCodec.decode(png(binary), 16);
        assertThat(oneBit.shape()).isEqualTo(new ImageShape(1, 1, 3));
        assertThat(oneBit.pixels()).containsExactly(0f, 1f, 0f);
    }

    @Test
    void rgbaIsCompositedOnBlack() {
        ImageCodec.Decoded decoded = ImageCodec.decode(png(argb(0xFFC86432, 0x80C86432, 0x00FFFFFF)), 16);
        assertThat(decoded.shape()).isEqualTo(new ImageShape(3, 1, 3));
        assertThat(levels(decoded)).containsExactly(200, 100, 0, 100, 50, 0, 50, 25, 0);
    }

    @Test
    void greyWithAlphaIsCompositedOnBlack() {
        ImageCodec.Decoded decoded = ImageCodec.decode(png(samples(3, 1, 8, 2, 200, 255, 200, 128, 200, 0)), 16);
        assertThat(decoded.shape()).isEqualTo(new ImageShape(1, 1, 3));
        assertThat(levels(decoded)).containsExactly(200, 100, 0);
    }

    @Test
    void sixteenBitSamplesAreScaledBy65535() {
        ImageCodec.Decoded grey = ImageCodec.decode(png(samples(3, 1, 16, 1, 0, 40000, 65535)), 16);
        assertThat(grey.shape()).isEqualTo(new ImageShape(1, 1, 3));
        assertThat(grey.maxSample()).isEqualTo(65535);
        assertThat(grey.pixels()).containsExactly(0f, 40000 / 65535f, 1f);

        ImageCodec.Decoded colour = ImageCodec.decode(png(samples(1, 1, 16, 3, 65535, 0, 30000)), 16);
        assertThat(colour.shape()).isEqualTo(new ImageShape(3, 1, 1));
        assertThat(colour.pixels()).containsExactly(1f, 0f, 30000 / 65535f);

        // 16-bit RGBA at alpha 32768: 65535 -> 32768, 32768 -> 16384.25 -> 16384
        ImageCodec.Decoded translucent = ImageCodec.decode(png(samples(1, 1, 16, 4, 65535, 32768, 0, 32768)), 16);
        assertThat(levels(translucent)).containsExactly(32768, 16384, 0);
    }

    @Test
    void aGreyJpegDecodesToOneChannel() {
        ImageCodec.Decoded decoded = ImageCodec.decode(jpeg(greyBlocks(2, 1, 40, 200), false), 16);
        assertThat(decoded.shape()).isEqualTo(new ImageShape(1, 8, 16));
        assertThat(at(decoded, 0, 3, 4)).isCloseTo(40, within(1));
        assertThat(at(decoded, 0, 12, 4)).isCloseTo(200, within(1));
    }

    @Test
    void aJpegCutShortIsRefusedNotDecodedHalfGrey() {
        BufferedImage image = new BufferedImage(32, 32, BufferedImage.TYPE_3BYTE_BGR);
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 32; x++) {
                image.setRGB(x, y, (x * 37 + y * 91) * 0x010305 & 0xFFFFFF);
            }
        }
        byte[] whole = jpeg(image, false);
        assertThat(ImageCodec.decode(whole, 64).shape()).isEqualTo(new ImageShape(3, 32, 32));
        // Headers intact, entropy-coded data cut: the JDK's reader decodes it with a warning only.
        byte[] truncated = java.util.Arrays.copyOf(whole, whole.length * 2 / 3);
        assertThatThrownBy(() -> ImageCodec.decode(truncated, 64)).isInstanceOf(InvalidImageException.class)
                .hasMessageContaining("truncated");
    }

    @Test
    void aProgressiveJpegDecodesToTheSamePixelsAsABaselineOne() {
        BufferedImage image = new BufferedImage(16, 16, BufferedImage.TYPE_3BYTE_BGR);
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 16; x++) {
                image.setRGB(x, y, x < 8 ? 0xC82828 : 0x2828C8);
            }
        }
        ImageCodec.Decoded progressive = ImageCodec.decode(jpeg(image, true), 16);
        ImageCodec.Decoded baseline = ImageCodec.decode(jpeg(image, false), 16);
        assertThat(progressive.shape()).isEqualTo(new ImageShape(3, 16, 16));
        assertThat(progressive.pixels()).containsExactly(baseline.pixels());
        assertThat(at(progressive, 0, 2, 8)).isCloseTo(200, within(4));
        assertThat(at(progressive, 2, 2, 8)).isCloseTo(40, within(4));
        assertThat(at(progressive, 0, 13, 8)).isCloseTo(40, within(4));
        assertThat(at(progressive, 2, 13, 8)).isCloseTo(200, within(4));
    }

    @Test
    void cmykAndYcckJpegsAreConvertedToRgb() {
        // make_image_fixtures.py: 16x16 patches of ink white, cyan, black, red (magenta + yellow).
        ImageCodec.Decoded cmyk = ImageCodec.decode(fixture("cmyk.jpg"), 64);
        ImageCodec.Decoded ycck = ImageCodec.decode(fixture("ycck.jpg"), 64);
        assertThat(cmyk.shape()).isEqualTo(new ImageShape(3, 16, 64));
        assertThat(ycck.shape()).isEqualTo(cmyk.shape());
        // No embedded profile and, on Linux, no system CMYK profile: TwelveMonkeys converts as Pillow does,
        // R = (1 - C)(1 - K) and so on (with a "Generic CMYK" ICC profile configured the levels would differ).
        int[][] expected = {{255, 255, 255}, {0, 255, 255}, {0, 0, 0}, {255, 0, 0}};
        for (int patch = 0; patch < 4; patch++) {
            for (int c = 0; c < 3; c++) {
                int x = 16 * patch + 8;
                assertThat(at(cmyk, c, x, 8)).as("CMYK patch %d channel %d", patch, c).isCloseTo(expected[patch][c], within(3));
                assertThat(at(ycck, c, x, 8)).as("YCCK patch %d channel %d", patch, c).isCloseTo(expected[patch][c], within(3));
            }
        }
    }

    @Test
    void formatsOtherThanPngAndJpegAreRefused() throws IOException {
        for (String format : List.of("gif", "bmp", "tiff")) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            assertThat(ImageIO.write(rgb(0x808080), format, out)).isTrue();
            assertThatThrownBy(() -> ImageCodec.decode(out.toByteArray(), 16)).as(format)
                    .isInstanceOf(InvalidImageException.class).hasMessage("not a PNG or JPEG image");
        }
    }

    @Test
    void aSideOverTheLimitIsRefusedBeforeThePixelsAreRead() {
        byte[] wide = png(samples(600, 1, 8, 1, new int[600]));
        assertThatThrownBy(() -> ImageCodec.decode(wide, 512))
                .isInstanceOf(InvalidImageException.class).hasMessage("image is 600x1; the limit is 512 per side");
        byte[] tall = jpeg(greyBlocks(1, 80, new int[80]), false);
        assertThatThrownBy(() -> ImageCodec.decode(tall, 512))
                .isInstanceOf(InvalidImageException.class).hasMessage("image is 8x640; the limit is 512 per side");
    }

    @Test
    void damagedFilesFailAsInvalidImagesAndNothingElse() {
        List<byte[]> valid = List.of(png(rgb(0x102030, 0x405060, 0x708090)), png(palette(0xFF000000, 0x80FFFFFF)),
                jpeg(greyBlocks(2, 2, 10, 90, 170, 250), true), fixture("cmyk.jpg"), fixture("orientation-6.jpg"));
        SplittableRandom random = new SplittableRandom(11);
        int decoded = 0;
        int refused = 0;
        for (byte[] file : valid) {
            for (int trial = 0; trial < 60; trial++) {
                byte[] damaged = damage(file, random);
                try {
                    ImageCodec.Decoded image = ImageCodec.decode(damaged, 64);
                    assertThat(image.pixels()).hasSize(image.shape().size());
                    decoded++;
                } catch (InvalidImageException e) {
                    assertThat(e.getMessage()).isNotBlank();
                    refused++;
                }
            }
        }
        assertThat(decoded + refused).isEqualTo(5 * 60);
        assertThat(refused).isPositive();
    }

    /** Truncated, or with a few bytes overwritten past the signature. */
    private static byte[] damage(byte[] file, SplittableRandom random) {
        if (random.nextInt(4) == 0) {
            return Arrays.copyOf(file, 4 + random.nextInt(file.length - 4));
        }
        byte[] copy = file.clone();
        for (int i = 0, n = 1 + random.nextInt(4); i < n; i++) {
            copy[8 + random.nextInt(copy.length - 8)] = (byte) random.nextInt(256);
        }
        return copy;
    }

    /** Sample levels (0..maxSample) of every pixel, CHW. */
    private static int[] levels(ImageCodec.Decoded image) {
        return ImageConversionTests.levels(image);
    }

    private static int at(ImageCodec.Decoded image, int channel, int x, int y) {
        ImageShape shape = image.shape();
        return Math.round(image.pixels()[(channel * shape.height() + y) * shape.width() + x] * image.maxSample());
    }

    private static float[] constant(ImageShape shape, float value) {
        float[] pixels = new float[shape.size()];
        java.util.Arrays.fill(pixels, value);
        return pixels;
    }

    private static float[] random(int n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) random.nextDouble();
        }
        return values;
    }
}
