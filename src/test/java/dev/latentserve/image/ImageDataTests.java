package dev.latentserve.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** {@link ImageData#first}: a quick run's leading images, uint8 or float, copied so the full set can be dropped. */
class ImageDataTests {

    private static final ImageShape SHAPE = new ImageShape(1, 1, 2);

    @Test
    void firstCopiesTheLeadingUint8Images() {
        byte[] pixels = {0, 51, (byte) 102, (byte) 153, (byte) 204, (byte) 255};
        ImageData images = ImageData.ofBytes(SHAPE, pixels);

        ImageData first = images.first(2);

        assertThat(first.count()).isEqualTo(2);
        assertThat(first.shape()).isEqualTo(SHAPE);
        assertThat(first.uint8()).containsExactly(0, 51, 102, 153);
        assertThat(first.gather(new int[] {1, 0}, 0, 2)).containsExactly(0.4f, 0.6f, 0f, 0.2f);
        pixels[0] = 7;
        assertThat(first.uint8()).as("a copy, not a view").startsWith((byte) 0);
    }

    @Test
    void imagesGivesARangeAsPixelsInZeroToOne() {
        ImageData images = ImageData.ofBytes(SHAPE, new byte[] {0, 51, (byte) 102, (byte) 153, (byte) 204, (byte) 255});

        float[][] range = images.images(1, 3);

        assertThat(range).hasDimensions(2, 2);
        assertThat(range[0]).containsExactly(0.4f, 0.6f);
        assertThat(range[1]).containsExactly(0.8f, 1.0f);
    }

    @Test
    void firstCopiesTheLeadingFloatImages() {
        ImageData images = ImageData.ofFloats(SHAPE, new float[] {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f});

        ImageData first = images.first(1);

        assertThat(first.count()).isEqualTo(1);
        assertThat(first.isUint8()).isFalse();
        assertThat(first.float32()).containsExactly(0.1f, 0.2f);
    }

    @Test
    void firstOfAtLeastTheCountIsTheSameImages() {
        ImageData images = ImageData.ofBytes(SHAPE, new byte[] {1, 2, 3, 4});

        assertThat(images.first(2)).isSameAs(images);
        assertThat(images.first(10_000_000)).isSameAs(images);
        assertThat(images.first(0).count()).isZero();
        assertThatThrownBy(() -> images.first(-1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-1");
    }
}
