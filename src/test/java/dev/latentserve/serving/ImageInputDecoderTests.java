package dev.latentserve.serving;

import static dev.latentserve.testing.TestImages.fixture;
import static dev.latentserve.testing.TestImages.png;
import static dev.latentserve.testing.TestImages.rgb;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.latentserve.family.InvalidInferenceInputException;
import dev.latentserve.family.InvalidInferenceInputException.Kind;
import dev.latentserve.image.ImageCodec;
import dev.latentserve.image.ImageShape;
import dev.latentserve.testing.TestFiles;
import org.junit.jupiter.api.Test;

/** Request images fitted to the model: converted to its channels by default, refused in strict mode, sizes always checked. */
class ImageInputDecoderTests {

    private static final ImageShape GREY = new ImageShape(1, 1, 3);
    private static final ImageShape RGB = new ImageShape(3, 1, 3);

    private final ImageInputDecoder converting = new ImageInputDecoder(64, false);
    private final ImageInputDecoder strict = new ImageInputDecoder(64, true);

    @Test
    void anRgbImageForAGreyModelIsConvertedByLuma() {
        float[] pixels = converting.decode(0, png(rgb(0xFF0000, 0x00FF00, 0x0000FF)), GREY);
        // BT.601: 0.299 * 255 = 76.2, 0.587 * 255 = 149.7, 0.114 * 255 = 29.1
        assertThat(pixels).containsExactly(76 / 255f, 150 / 255f, 29 / 255f);
    }

    @Test
    void aGreyImageForAnRgbModelIsRepeatedInEveryChannel() {
        byte[] grey = ImageCodec.png(GREY, new float[] {0f, 128 / 255f, 1f});
        assertThat(converting.decode(0, grey, RGB)).containsExactly(0f, 128 / 255f, 1f, 0f, 128 / 255f, 1f, 0f, 128 / 255f, 1f);
    }

    @Test
    void aPhoneJpegIsTurnedUprightBeforeItsSizeIsChecked() {
        // Stored 48 wide and 32 high with orientation 6: shown 32 wide and 48 high, top-left block 140.
        float[] pixels = converting.decode(0, fixture("orientation-6.jpg"), new ImageShape(1, 48, 32));
        assertThat(pixels[8 * 32 + 8] * 255).isCloseTo(140f, within(2f));
        assertThatThrownBy(() -> converting.decode(0, fixture("orientation-6.jpg"), new ImageShape(1, 32, 48)))
                .isInstanceOfSatisfying(InvalidInferenceInputException.class, e -> {
                    assertThat(e.kind()).isEqualTo(Kind.IMAGE_SHAPE_MISMATCH);
                    assertThat(e.getMessage()).isEqualTo("image 0 is 32x48 (width x height) RGB; the model takes 48x32 (width x height) grey");
                });
    }

    @Test
    void anotherSizeIsRefusedNamingBothSizes() {
        assertThatThrownBy(() -> converting.decode(2, TestFiles.png(new ImageShape(3, 28, 28), 0.5f), new ImageShape(1, 16, 16)))
                .isInstanceOfSatisfying(InvalidInferenceInputException.class, e -> {
                    assertThat(e.kind()).isEqualTo(Kind.IMAGE_SHAPE_MISMATCH);
                    assertThat(e.getMessage()).isEqualTo("image 2 is 28x28 (width x height) RGB; the model takes 16x16 (width x height) grey");
                });
    }

    @Test
    void strictModeRefusesOtherChannelsButTakesTheModelsOwn() {
        assertThatThrownBy(() -> strict.decode(1, png(rgb(0x141414, 0x808080, 0xFAFAFA)), GREY))
                .isInstanceOfSatisfying(InvalidInferenceInputException.class, e -> {
                    assertThat(e.kind()).isEqualTo(Kind.IMAGE_SHAPE_MISMATCH);
                    assertThat(e.getMessage()).isEqualTo("image 1 is 3x1 (width x height) RGB; the model takes 3x1 (width x height) grey "
                            + "(latentserve.serving.strict-channels is on: images are not converted)");
                });
        byte[] grey = ImageCodec.png(GREY, new float[] {20 / 255f, 128 / 255f, 250 / 255f});
        assertThatThrownBy(() -> strict.decode(0, grey, RGB)).isInstanceOf(InvalidInferenceInputException.class)
                .hasMessageStartingWith("image 0 is 3x1 (width x height) grey; the model takes 3x1 (width x height) RGB");
        assertThat(strict.decode(0, grey, GREY)).containsExactly(20 / 255f, 128 / 255f, 250 / 255f);
    }

    @Test
    void bytesThatAreNoImageAreAnInvalidImage() {
        assertThatThrownBy(() -> converting.decode(3, "GIF89a".getBytes(), GREY))
                .isInstanceOfSatisfying(InvalidInferenceInputException.class, e -> {
                    assertThat(e.kind()).isEqualTo(Kind.INVALID_IMAGE);
                    assertThat(e.getMessage()).isEqualTo("image 3: not a PNG or JPEG image");
                });
    }
}
