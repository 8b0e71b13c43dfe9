package dev.latentserve.npy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;

/** What the writer writes reads back through the one parser, byte-exact where numpy's layout is fixed. */
class NpyWriterTests {

    @Test
    void headersAreNumpysVersionOneDictPaddedTo64Bytes() {
        byte[] npy = NpyWriter.uint8(new long[] {2, 3}, new byte[] {0, 1, 2, 3, (byte) 254, (byte) 255});
        int headerLength = (npy[8] & 0xFF) | (npy[9] & 0xFF) << 8;
        assertThat(npy[6]).isEqualTo((byte) 1);
        assertThat((10 + headerLength) % 64).isZero();
        String header = new String(npy, 10, headerLength, StandardCharsets.ISO_8859_1);
        assertThat(header).startsWith("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3), }").endsWith(" \n");
        assertThat(npy).hasSize(10 + headerLength + 6);
        NpyArray back = NpyArray.read(npy);
        assertThat(back.shape()).containsExactly(2, 3);
        assertThat(back.integerAt(4)).isEqualTo(254);
        assertThat(back.integerAt(5)).isEqualTo(255);
    }

    @Test
    void oneDimensionalShapesAreWrittenAsPythonOneTuples() {
        byte[] npy = NpyWriter.int32(new long[] {3}, new int[] {-1, 0, Integer.MAX_VALUE});
        assertThat(new String(npy, 10, 60, StandardCharsets.ISO_8859_1)).contains("'descr': '<i4'", "'shape': (3,)");
        NpyArray back = NpyArray.read(npy);
        assertThat(back.integerAt(0)).isEqualTo(-1);
        assertThat(back.integerAt(2)).isEqualTo(Integer.MAX_VALUE);
    }

    @Test
    void float32RoundTripsBitForBitIncludingExtremes() {
        float[] values = {0f, -0f, 1e-45f, Float.MAX_VALUE, 0.1f, Float.NaN};
        NpyArray back = NpyArray.read(NpyWriter.float32(new long[] {2, 3}, values));
        assertThat(back.dtype()).isEqualTo(Dtype.FLOAT32);
        for (int i = 0; i < values.length; i++) {
            assertThat(Float.floatToRawIntBits((float) back.doubleAt(i))).isEqualTo(Float.floatToRawIntBits(values[i]));
        }
    }

    @Test
    void aShapeThatDoesNotHoldTheValuesIsAProgrammingError() {
        assertThatThrownBy(() -> NpyWriter.float32(new long[] {2, 2}, new float[3])).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void fortranOrderIsReadByCOrderIndex() {
        // A 2 x 3 array [[0, 1, 2], [3, 4, 5]] stored column by column: 0 3 1 4 2 5.
        byte[] npy = npy("{'descr': '|u1', 'fortran_order': True, 'shape': (2, 3), }", new byte[] {0, 3, 1, 4, 2, 5});
        NpyArray array = NpyArray.read(npy);
        for (int i = 0; i < 6; i++) {
            assertThat(array.integerAt(i)).isEqualTo(i);
        }
        assertThat(array.numpyIndex(4)).isEqualTo("(1, 1)");
    }

    @Test
    void truncatedAndOverlongDataAreRefusedWithTheByteCounts() {
        byte[] npy = NpyWriter.float32(new long[] {4}, new float[4]);
        assertThatThrownBy(() -> NpyArray.read(java.util.Arrays.copyOf(npy, npy.length - 3)))
                .isInstanceOfSatisfying(NpyException.class, e -> {
                    assertThat(e.kind()).isEqualTo(NpyException.Kind.MALFORMED);
                    assertThat(e.getMessage()).contains("needs 16 bytes, found 13");
                });
        assertThatThrownBy(() -> NpyArray.read(java.util.Arrays.copyOf(npy, npy.length + 2)))
                .isInstanceOfSatisfying(NpyException.class, e -> assertThat(e.getMessage()).contains("2 bytes after the data"));
        // A shape whose size overflows is refused before anything is allocated for it.
        assertThatThrownBy(() -> NpyArray.read(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4), }",
                new byte[0]))).isInstanceOfSatisfying(NpyException.class, e -> assertThat(e.getMessage()).contains("more values"));
    }

    @Test
    void dtypesNameWhatTheyAreAndRefuseWhatIsNotNumeric() {
        assertThat(Dtype.of(">f4").describe()).isEqualTo("float32 (big-endian)");
        assertThat(Dtype.of("<i8").descr()).isEqualTo("<i8");
        assertThat(Dtype.of("|b1").kind()).isEqualTo(Dtype.Kind.BOOL);
        assertThatThrownBy(() -> Dtype.of("<c16")).isInstanceOfSatisfying(NpyException.class, e -> {
            assertThat(e.kind()).isEqualTo(NpyException.Kind.UNSUPPORTED_DTYPE);
            assertThat(e.getMessage()).contains("complex128");
        });
        assertThatThrownBy(() -> Dtype.of("<U8")).hasMessageContaining("(str)");
    }

    @Test
    void npzArchivesRoundTripInOrder() {
        Map<String, byte[]> arrays = new LinkedHashMap<>();
        arrays.put("top", NpyWriter.int32(new long[] {1, 2, 2}, new int[] {1, 2, 3, 4}));
        arrays.put("bottom", NpyWriter.uint8(new long[] {1, 1}, new byte[] {7}));
        Map<String, NpyArray> back = Npz.read(NpyWriter.npz(arrays), 4, 1 << 20);
        assertThat(back.keySet()).containsExactly("top", "bottom");
        assertThat(back.get("top").integerAt(3)).isEqualTo(4);
        assertThat(back.get("bottom").integerAt(0)).isEqualTo(7);
    }

    @Test
    void npzArchivesAreBoundedAndHoldOnlyNpyFiles() throws Exception {
        // 1 MB of zeros deflates to about a kilobyte: the bound counts what entries unpack to.
        byte[] big = NpyWriter.uint8(new long[] {1 << 20}, new byte[1 << 20]);
        byte[] bomb = zip(Map.of("a.npy", big), ZipEntry.DEFLATED);
        assertThat(bomb.length).isLessThan(20_000);
        assertThatThrownBy(() -> Npz.read(bomb, 4, 100_000))
                .isInstanceOfSatisfying(NpyException.class, e -> assertThat(e.kind()).isEqualTo(NpyException.Kind.TOO_LARGE));
        assertThat(Npz.read(bomb, 4, 2 << 20).get("a").shape()).containsExactly(1 << 20);
        Map<String, byte[]> many = new LinkedHashMap<>();
        for (int i = 0; i < 5; i++) {
            many.put("a" + i, NpyWriter.uint8(new long[] {1}, new byte[1]));
        }
        assertThatThrownBy(() -> Npz.read(NpyWriter.npz(many), 4, 1 << 20)).hasMessageContaining("more than 4 arrays");
        assertThatThrownBy(() -> Npz.read(zip(Map.of("notes.txt", new byte[3]), ZipEntry.DEFLATED), 4, 1 << 20))
                .hasMessageContaining("'notes.txt' is not an npy file");
        assertThatThrownBy(() -> Npz.read(zip(Map.of("x.npy", "junk".getBytes()), ZipEntry.DEFLATED), 4, 1 << 20))
                .hasMessageContaining("npz entry 'x.npy': not an npy file");
        assertThatThrownBy(() -> Npz.read("plain text".getBytes(), 4, 1 << 20)).isInstanceOfSatisfying(NpyException.class,
                e -> assertThat(e.kind()).isEqualTo(NpyException.Kind.MALFORMED));
    }

    private static byte[] npy(String dict, byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        String header = dict + " ".repeat((64 - (10 + dict.length() + 1) % 64) % 64) + "\n";
        out.writeBytes(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) header.length(), (byte) (header.length() >> 8)});
        out.writeBytes(header.getBytes(StandardCharsets.ISO_8859_1));
        out.writeBytes(data);
        return out.toByteArray();
    }

    private static byte[] zip(Map<String, byte[]> entries, int method) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            zip.setMethod(method);
            for (Map.Entry<String, byte[]> entry : entries.entrySet()) {
                zip.putNextEntry(new ZipEntry(entry.getKey()));
                zip.write(entry.getValue());
                zip.closeEntry();
            }
        }
        return bytes.toByteArray();
    }
}
