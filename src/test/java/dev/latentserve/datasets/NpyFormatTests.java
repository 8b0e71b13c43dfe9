package dev.latentserve.datasets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.latentserve.image.ImageData;
import dev.latentserve.image.ImageShape;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Arrays as numpy writes them ({@code fixtures/npy/make_npy_fixtures.py}), and headers written by hand. */
class NpyFormatTests {

    private static final UploadLimits LIMITS = new UploadLimits(1 << 20, 1000, 64);

    @ParameterizedTest
    @ValueSource(strings = {"f4-c", "f4-fortran", "f4-big", "f4-big-fortran", "f8-big-fortran-nchw", "f4-fortran-nhwc", "f2",
            "f2-big", "u1-fortran-nhwc", "i1", "u2", "u2-big", "i2", "i2-big", "u4", "i4", "i4-big-fortran-nchw", "i8",
            "i8-big-fortran", "u8-big", "b1", "b1-fortran"})
    void readsAsItsCOrderLittleEndianEquivalent(String name) throws IOException {
        ImageData array = fixture(name);
        ImageData expected = fixture(name + ".expected");
        assertThat(array.shape()).isEqualTo(expected.shape());
        assertThat(array.count()).isEqualTo(expected.count());
        assertThat(array.isUint8()).isEqualTo(expected.isUint8());
        if (expected.isUint8()) {
            assertThat(array.uint8()).isEqualTo(expected.uint8());
        } else {
            assertThat(array.float32()).isEqualTo(expected.float32());
        }
    }

    @Test
    void fortranOrderedChannelsLastBytesLandInChwOrder() throws IOException {
        // make_npy_fixtures.py: value at [n, h, w, c] of shape (2, 4, 5, 3) is (flat C index * 11) % 256.
        byte[] chw = Objects.requireNonNull(fixture("u1-fortran-nhwc").uint8());
        for (int n = 0; n < 2; n++) {
            for (int c = 0; c < 3; c++) {
                for (int h = 0; h < 4; h++) {
                    for (int w = 0; w < 5; w++) {
                        int flat = ((n * 4 + h) * 5 + w) * 3 + c;
                        assertThat(chw[((n * 3 + c) * 4 + h) * 5 + w] & 0xFF).isEqualTo(flat * 11 % 256);
                    }
                }
            }
        }
    }

    @Test
    void boolIsZeroOrOneAndFloat16IsWidened() throws IOException {
        ImageData flags = fixture("b1");
        float[] first = new float[flags.shape().size()];
        flags.copyImage(0, first, 0);
        assertThat(first).containsExactly(1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0);
        ImageData halves = fixture("f2-big");
        assertThat(halves.float32()[23]).isEqualTo(1f);
        assertThat(halves.float32()[1]).isCloseTo(1 / 23f, within(1e-4f)).isNotEqualTo(1 / 23f);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "refused-object                   | holds Python objects (a pickle), which are never unpickled",
            "refused-0d                       | npy array is 0-d",
            "refused-i2-300                   | npy int16 value 300 at index (0, 0, 1) is outside 0..255",
            "refused-i8-negative              | npy int64 value -1 at index (0, 1, 0) is outside 0..255",
            "refused-c8                       | npy dtype '<c8' (complex64) is not supported",
            "refused-structured               | is structured",
            "refused-empty                    | holds no images",
            "refused-f8-above-one-fortran     | npy float64 value 1.5 at index (1, 2, 3) is outside [0, 1]",
            "refused-1d                       | npy shape [5] is not (N, H, W)"})
    void refusesWithAMessageSayingWhy(String name, String message) {
        assertThatThrownBy(() -> fixture(name))
                .isInstanceOfSatisfying(DatasetFormatException.class, e -> {
                    assertThat(e.kind()).isEqualTo(DatasetFormatException.Kind.MALFORMED);
                    assertThat(e.getMessage()).contains(message);
                });
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{'shape': (2, 2, 3), 'fortran_order': False, 'descr': '|u1'}",
            "{\"descr\": \"|u1\", \"fortran_order\": False, \"shape\": (2, 2, 3,),}",
            "{ 'descr' : '|u1' ,\n 'fortran_order' : False , 'shape' : ( 2L , 2L , 3L ) , }",
            "{'descr': '|u1', 'fortran_order': False, 'shape': [2, 2, 3], 'extra': None}"})
    void headerKeysInAnyOrderQuotesAndCommasAsPythonAllows(String dict) throws IOException {
        byte[] pixels = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
        for (int major = 1; major <= 3; major++) {
            ImageData data = read(npy(major, dict, pixels));
            assertThat(data.shape()).isEqualTo(new ImageShape(1, 2, 3));
            assertThat(data.uint8()).isEqualTo(pixels);
        }
    }

    @ParameterizedTest
    @CsvSource(delimiterString = "=>", quoteCharacter = '"', value = {
            "{'descr': '|u1', 'fortran_order': False, 'shape': (1, x, 3), }    => unexpected word 'x'",
            "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 2, 3) }junk => unexpected text after the dict",
            "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 2, 3       => expected ',' or ')'",
            "{'descr': '|u1', 'fortran_order': False}                          => lacks 'shape'",
            "{'descr': '|u1', 'descr': '|u1', 'fortran_order': False, 'shape': (1, 2, 3)} => key 'descr' appears twice",
            "{'descr': '|u1', 'fortran_order': 0, 'shape': (1, 2, 3)}          => 'fortran_order' is 0",
            "{'descr': '|u1', 'fortran_order': False, 'shape': (1, -2, 3)}     => negative dimension",
            "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 99999999999999999999, 3)} => fits in 64 bits",
            "{'descr': '<u2x', 'fortran_order': False, 'shape': (1, 2, 3)}     => dtype '<u2x' (uint) is not supported",
            "{'descr': '|f4', 'fortran_order': False, 'shape': (1, 2, 3)}      => does not say its byte order",
            "['descr', '|u1']                                                  => the header is not a dict"})
    void malformedHeadersAreRefused(String dict, String message) {
        assertThatThrownBy(() -> read(npy(1, dict, new byte[6])))
                .isInstanceOfSatisfying(DatasetFormatException.class, e -> assertThat(e.getMessage()).contains(message));
    }

    @Test
    void deeplyNestedHeaderIsRefusedWithoutExhaustingTheStack() {
        String dict = "{'descr': '|u1', 'fortran_order': False, 'shape': " + "(".repeat(20_000) + "}";
        assertThatThrownBy(() -> read(npy(2, dict, new byte[0])))
                .isInstanceOfSatisfying(DatasetFormatException.class, e -> assertThat(e.getMessage()).contains("nested deeper"));
    }

    private static ImageData fixture(String name) throws IOException {
        try (InputStream in = NpyFormatTests.class.getResourceAsStream("/fixtures/npy/" + name + ".npy")) {
            return NpyFormat.read(Objects.requireNonNull(in, name), LIMITS);
        }
    }

    private static ImageData read(byte[] npy) throws IOException {
        return NpyFormat.read(new ByteArrayInputStream(npy), LIMITS);
    }

    /** An npy file of format version {@code major} with this header text (padded as numpy pads it) and data. */
    static byte[] npy(int major, String dict, byte[] data) {
        int lengthBytes = major == 1 ? 2 : 4;
        int unpadded = 8 + lengthBytes + dict.length() + 1;
        byte[] header = (dict + " ".repeat((64 - unpadded % 64) % 64) + "\n").getBytes(StandardCharsets.UTF_8);
        ByteBuffer buffer = ByteBuffer.allocate(8 + lengthBytes + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        buffer.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
        if (major == 1) {
            buffer.putShort((short) header.length);
        } else {
            buffer.putInt(header.length);
        }
        return buffer.put(header).put(data).array();
    }
}
