package dev.latentserve.datasets;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.latentserve.image.ImageData;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Objects;
import org.junit.jupiter.api.Timeout;

/**
 * Coverage-guided fuzz targets for the upload parsers. {@code ./mvnw test} runs them over the committed inputs
 * ({@code DatasetFormatsFuzzTestsInputs/<method>/}); {@code bin/fuzz DatasetFormatsFuzzTests#npy 120} fuzzes one.
 * The contract: a dataset within the limits, or a {@link DatasetFormatException}; nothing else, and no I/O error,
 * since the bytes are in memory and any failure is theirs.
 */
@Timeout(10)
class DatasetFormatsFuzzTests {

    private static final UploadLimits LIMITS = new UploadLimits(1 << 20, 64, 64);

    @FuzzTest
    void npy(byte[] upload) throws IOException {
        parsed(() -> NpyFormat.read(new ByteArrayInputStream(upload), LIMITS));
    }

    @FuzzTest
    void idx(byte[] upload) throws IOException {
        parsed(() -> IdxFormat.read(new ByteArrayInputStream(upload), LIMITS));
    }

    @FuzzTest
    void zip(byte[] upload) throws IOException {
        parsed(() -> ZipImagesFormat.read(new ByteArrayInputStream(upload), LIMITS));
    }

    /** The whole upload path: format sniffing and gzip, then one of the parsers. */
    @FuzzTest
    void upload(byte[] upload) throws IOException {
        parsed(() -> DatasetService.parse(new ByteArrayInputStream(upload), LIMITS).data());
    }

    private static void parsed(Parse parse) throws IOException {
        ImageData data;
        try {
            data = parse.run();
        } catch (DatasetFormatException refused) {
            assertThat(refused.getMessage()).isNotBlank();
            return;
        }
        assertThat(data.count()).isBetween(1, LIMITS.maxImages());
        assertThat(data.shape().height()).isBetween(1, LIMITS.maxSide());
        assertThat(data.shape().width()).isBetween(1, LIMITS.maxSide());
        if (!data.isUint8()) {
            for (float v : Objects.requireNonNull(data.float32())) {
                assertThat(v).isBetween(0f, 1f);
            }
        }
    }

    @FunctionalInterface
    private interface Parse {
        ImageData run() throws IOException;
    }
}
