package dev.latentserve.datasets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class UploadLimitsTests {

    @Test
    void decodedBytesBeyondAJavaArrayAreTooLargeWhateverTheConfiguredLimit() {
        UploadLimits generous = new UploadLimits(8L << 30, 1_000_000, 512);
        assertThatCode(() -> generous.checkDecodedBytes(UploadLimits.MAX_ARRAY_BYTES)).doesNotThrowAnyException();
        // Before, 3 GiB passed the check and Math.toIntExact then threw ArithmeticException (a 500).
        assertThatThrownBy(() -> generous.checkDecodedBytes(3L << 30))
                .isInstanceOfSatisfying(DatasetFormatException.class,
                        e -> assertThat(e.kind()).isEqualTo(DatasetFormatException.Kind.TOO_LARGE));
    }
}
