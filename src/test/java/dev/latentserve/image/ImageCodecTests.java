package dev.latentserve.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Our PNG writer read back by ImageIO's reader: the same 8-bit values, grey and RGB, single images and grids. */
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

    private static int at(ImageCodec.Decoded image, int channel, int x, int y) {
        ImageShape shape = image.shape();
        return Math.round(image.pixels()[(channel * shape.height() + y) * shape.width() + x] * 255);
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
