package dev.latentserve.image;

import static dev.latentserve.testing.TestImages.fixture;
import static dev.latentserve.testing.TestImages.greyBlocks;
import static dev.latentserve.testing.TestImages.jpeg;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * JPEGs are decoded as displayed. The fixtures (make_image_fixtures.py) store one 48x32 picture of 16x16 grey blocks
 * <pre>
 *    20  60 100
 *   140 180 220
 * </pre>
 * with EXIF orientations 1 to 8.
 */
class ExifOrientationTests {

    private static final int A = 20, B = 60, C = 100, D = 140, E = 180, F = 220;

    /** The blocks as displayed, row by row, for each orientation (index 0 unused). */
    private static final int[][][] SHOWN = {
        null,
        {{A, B, C}, {D, E, F}},
        {{C, B, A}, {F, E, D}},
        {{F, E, D}, {C, B, A}},
        {{D, E, F}, {A, B, C}},
        {{A, D}, {B, E}, {C, F}},
        {{D, A}, {E, B}, {F, C}},
        {{F, C}, {E, B}, {D, A}},
        {{C, F}, {B, E}, {A, D}},
    };

    @Test
    void aPhotoWithOrientationSixIsTurnedClockwiseAndReadsAsDisplayed() {
        ImageCodec.Decoded shown = ImageCodec.decode(fixture("orientation-6.jpg"), 64, 1);
        assertThat(shown.shape()).isEqualTo(new ImageShape(1, 48, 32));
        // The stored bottom-left block (140) is now top left, the stored top-left (20) top right, the stored
        // bottom-right (220) bottom left.
        assertThat(level(shown, 8, 8)).isCloseTo(D, within(2));
        assertThat(level(shown, 24, 8)).isCloseTo(A, within(2));
        assertThat(level(shown, 8, 40)).isCloseTo(F, within(2));
        assertThat(level(shown, 24, 40)).isCloseTo(C, within(2));
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7, 8})
    void everyOrientationIsDecodedAsDisplayed(int orientation) {
        byte[] jpeg = fixture("orientation-" + orientation + ".jpg");
        assertThat(ExifOrientation.read(jpeg)).isEqualTo(orientation);
        ImageCodec.Decoded shown = ImageCodec.decode(jpeg, 64);
        int[][] blocks = SHOWN[orientation];
        assertThat(shown.shape()).isEqualTo(new ImageShape(3, 16 * blocks.length, 16 * blocks[0].length));
        for (int row = 0; row < blocks.length; row++) {
            for (int column = 0; column < blocks[row].length; column++) {
                for (int c = 0; c < 3; c++) {
                    assertThat(level(shown, c, 16 * column + 8, 16 * row + 8)).as("block %d,%d channel %d", row, column, c)
                            .isCloseTo(blocks[row][column], within(2));
                }
            }
        }
    }

    @Test
    void everyOrientationMovesEachPixelWhereExifSays() {
        // Stored 3 wide, 2 high: 0 1 2 / 3 4 5, and the same plus 10 in a second and 20 in a third channel.
        int[][] expected = {
            null,
            {0, 1, 2, 3, 4, 5},
            {2, 1, 0, 5, 4, 3},
            {5, 4, 3, 2, 1, 0},
            {3, 4, 5, 0, 1, 2},
            {0, 3, 1, 4, 2, 5},
            {3, 0, 4, 1, 5, 2},
            {5, 2, 4, 1, 3, 0},
            {2, 5, 1, 4, 0, 3},
        };
        int[] stored = {0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15, 20, 21, 22, 23, 24, 25};
        for (int orientation = 1; orientation <= 8; orientation++) {
            ImageSamples shown = ExifOrientation.apply(orientation, new ImageSamples(3, 2, 3, 255, stored));
            assertThat(shown.width()).isEqualTo(orientation >= 5 ? 2 : 3);
            assertThat(shown.height()).isEqualTo(orientation >= 5 ? 3 : 2);
            int[] plane = expected[orientation];
            int[] all = new int[18];
            for (int c = 0; c < 3; c++) {
                for (int i = 0; i < 6; i++) {
                    all[6 * c + i] = plane[i] + 10 * c;
                }
            }
            assertThat(shown.values()).as("orientation %d", orientation).containsExactly(all);
        }
    }

    @Test
    void jpegsWithoutOrUnreadableExifAreTakenAsStored() {
        byte[] plain = jpeg(greyBlocks(2, 1, 30, 90), false);
        assertThat(ExifOrientation.read(plain)).isEqualTo(1);
        assertThat(ImageCodec.decode(plain, 64).shape()).isEqualTo(new ImageShape(1, 8, 16));

        byte[] broken = fixture("orientation-6.jpg");
        int exif = indexOf(broken, "Exif".getBytes());
        // Overwrite the TIFF header's byte order mark ("II"/"MM"): the EXIF block can no longer be parsed.
        broken[exif + 6] = 'X';
        broken[exif + 7] = 'X';
        assertThat(ExifOrientation.read(broken)).isEqualTo(1);
        assertThat(ImageCodec.decode(broken, 64).shape()).isEqualTo(new ImageShape(3, 32, 48));
    }

    private static int indexOf(byte[] data, byte[] part) {
        for (int i = 0; i + part.length <= data.length; i++) {
            if (Arrays.equals(data, i, i + part.length, part, 0, part.length)) {
                return i;
            }
        }
        throw new AssertionError("not found");
    }

    private static int level(ImageCodec.Decoded image, int x, int y) {
        return level(image, 0, x, y);
    }

    private static int level(ImageCodec.Decoded image, int channel, int x, int y) {
        ImageShape shape = image.shape();
        return Math.round(image.pixels()[(channel * shape.height() + y) * shape.width() + x] * image.maxSample());
    }
}
