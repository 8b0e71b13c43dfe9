package dev.latentserve.image;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.Timeout;

/**
 * Coverage-guided fuzz target for whatever bytes a user sends as an image. {@code ./mvnw test} runs it over the
 * committed inputs ({@code ImageCodecFuzzTestsInputs/decode/}); {@code bin/fuzz ImageCodecFuzzTests#decode 120} fuzzes.
 * The contract of {@link ImageCodec#decode(byte[], int)}: a decoded image within the side limit with finite pixels in
 * [0, 1], or an {@link InvalidImageException}; nothing else.
 */
@Timeout(10)
class ImageCodecFuzzTests {

    private static final int MAX_SIDE = 64;

    @FuzzTest
    void decode(byte[] image) {
        ImageCodec.Decoded decoded;
        try {
            decoded = ImageCodec.decode(image, MAX_SIDE);
        } catch (InvalidImageException refused) {
            assertThat(refused.getMessage()).isNotBlank();
            return;
        }
        ImageShape shape = decoded.shape();
        assertThat(shape.height()).isBetween(1, MAX_SIDE);
        assertThat(shape.width()).isBetween(1, MAX_SIDE);
        assertThat(decoded.pixels()).hasSize(shape.size());
        for (float v : decoded.pixels()) {
            assertThat(v).isBetween(0f, 1f);
        }
    }
}
