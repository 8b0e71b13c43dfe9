package dev.latentserve.image;

import static dev.latentserve.testing.TestImages.greyBlocks;
import static dev.latentserve.testing.TestImages.jpeg;
import static dev.latentserve.testing.TestImages.palette;
import static dev.latentserve.testing.TestImages.png;
import static dev.latentserve.testing.TestImages.rgb;
import static dev.latentserve.testing.TestImages.samples;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Colour to grey by BT.601 luma with Pillow's rounding, grey to colour by repetition; sizes never change. */
class ImageConversionTests {

    @Test
    void lumaGivesTheGreyLevelsOfPillowsConvertL() {
        // Printed by Pillow 9.4: Image.new("RGB", (1, 1), rgb).convert("L").getpixel((0, 0))
        assertThat(ImageConversion.luma(255, 0, 0)).isEqualTo(76);
        assertThat(ImageConversion.luma(0, 255, 0)).isEqualTo(150);
        assertThat(ImageConversion.luma(0, 0, 255)).isEqualTo(29);
        assertThat(ImageConversion.luma(0, 0, 250)).as("28.5 in exact arithmetic; Pillow's fixed point gives 28").isEqualTo(28);
        assertThat(ImageConversion.luma(10, 200, 30)).isEqualTo(124);
        assertThat(ImageConversion.luma(123, 45, 67)).isEqualTo(71);
        assertThat(ImageConversion.luma(255, 255, 255)).isEqualTo(255);
    }

    @Test
    void lumaWeightsAreBt601() {
        // 0.299, 0.587 and 0.114 of 65535 are 19594.97, 38469.05 and 7470.99.
        assertThat(ImageConversion.luma(65535, 0, 0)).isEqualTo(19595);
        assertThat(ImageConversion.luma(0, 65535, 0)).isEqualTo(38469);
        assertThat(ImageConversion.luma(0, 0, 65535)).isEqualTo(7471);
        assertThat(ImageConversion.luma(65535, 65535, 65535)).isEqualTo(65535);
    }

    @Test
    void colourBecomesGreyByLumaAndGreyStaysItsOwnValue() {
        ImageCodec.Decoded grey = ImageCodec.decode(png(rgb(0xFF0000, 0x00FF00, 0x0000FF, 0x0AC81E, 0x7B2D43, 0x141414)), 16, 1);
        assertThat(grey.shape()).isEqualTo(new ImageShape(1, 1, 6));
        assertThat(levels(grey)).containsExactly(76, 150, 29, 124, 71, 20);
    }

    @Test
    void aPaletteImageBecomesGreyByTheLumaOfItsEntries() {
        ImageCodec.Decoded grey = ImageCodec.decode(png(palette(0xFFFF0000, 0xFF0AC81E, 0x80C86432)), 16, 1);
        // The translucent entry is first composited on black: (100, 50, 25) -> 0.299*100 + 0.587*50 + 0.114*25 = 62.2
        assertThat(levels(grey)).containsExactly(76, 124, 62);
    }

    @Test
    void sixteenBitColourBecomesGreyAtSixteenBits() {
        ImageCodec.Decoded grey = ImageCodec.decode(png(samples(1, 1, 16, 3, 65535, 0, 30000)), 16, 1);
        // 0.299 * 65535 + 0.114 * 30000 = 23014.97
        assertThat(grey.pixels()).containsExactly(23015 / 65535f);
    }

    @Test
    void greyBecomesColourByRepeatingIt() {
        ImageCodec.Decoded colour = ImageCodec.decode(jpeg(greyBlocks(2, 1, 40, 200), false), 16, 3);
        ImageCodec.Decoded grey = ImageCodec.decode(jpeg(greyBlocks(2, 1, 40, 200), false), 16);
        assertThat(colour.shape()).isEqualTo(new ImageShape(3, 8, 16));
        int plane = 8 * 16;
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < plane; i++) {
                assertThat(colour.pixels()[c * plane + i]).isEqualTo(grey.pixels()[i]);
            }
        }
    }

    @Test
    void theWantedLayoutIsReturnedUnchanged() {
        ImageCodec.Decoded rgb = ImageCodec.decode(png(rgb(0x102030)), 16);
        assertThat(ImageConversion.toChannels(rgb, 3)).isSameAs(rgb);
        assertThatThrownBy(() -> ImageConversion.toChannels(rgb, 4)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not 4");
    }

    /** Sample levels (0..maxSample) of every pixel, CHW. */
    static int[] levels(ImageCodec.Decoded image) {
        int[] levels = new int[image.pixels().length];
        for (int i = 0; i < levels.length; i++) {
            levels[i] = Math.round(image.pixels()[i] * image.maxSample());
        }
        return levels;
    }
}
