package dev.latentserve.datasets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.latentserve.image.ImageData;
import dev.latentserve.image.ImageShape;
import dev.latentserve.testing.TestFiles;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;

/** Broken archives, as the fuzz target {@code DatasetFormatsFuzzTests#zip} found them. */
class ZipImagesFormatTests {

    private static final UploadLimits LIMITS = new UploadLimits(1 << 20, 64, 64);
    private static final ImageShape SHAPE = new ImageShape(1, 4, 4);

    @Test
    void twoImagesAreRead() throws IOException {
        ImageData data = read(twoPngs());
        assertThat(data.count()).isEqualTo(2);
        assertThat(data.shape()).isEqualTo(SHAPE);
    }

    @Test
    void archiveEndingInsideALocalHeaderIsMalformed() {
        // crash-e92610f6...: the archive ends inside the second entry's name (after the 30 fixed bytes of its local
        // header); ZipInputStream threw EOFException, which the service answered with a 500.
        byte[] zip = twoPngs();
        int second = indexOf(zip, new byte[] {'P', 'K', 3, 4}, 4);
        assertMalformed(Arrays.copyOf(zip, second + 30 + 2), "zip archive is truncated");
    }

    @Test
    void archiveCutBetweenEntriesOrInsideALocalHeaderIsTruncatedNotASmallerDataset() {
        // ZipInputStream takes either cut for the end of the archive: these read as one image, without an error.
        byte[] zip = twoPngs();
        int second = indexOf(zip, new byte[] {'P', 'K', 3, 4}, 4);
        assertMalformed(Arrays.copyOf(zip, second), "zip archive is truncated");
        assertMalformed(Arrays.copyOf(zip, second + 10), "zip archive is truncated");
        assertMalformed(Arrays.copyOf(zip, zip.length - 1), "zip archive is truncated");
    }

    @Test
    void theDecodedLimitCountsTheFloatsImagesAreHeldAsWhileDecoding() throws IOException {
        // Two 4x4 grey images are 32 values, held as 128 bytes of floats: a 127-byte limit refuses them (413), so a
        // small zip of large blank PNGs cannot grow to four times the configured limit on the heap.
        assertThatThrownBy(() -> ZipImagesFormat.read(new ByteArrayInputStream(twoPngs()), new UploadLimits(127, 64, 64)))
                .isInstanceOfSatisfying(DatasetFormatException.class,
                        e -> assertThat(e.kind()).isEqualTo(DatasetFormatException.Kind.TOO_LARGE));
        assertThat(ZipImagesFormat.read(new ByteArrayInputStream(twoPngs()), new UploadLimits(128, 64, 64)).count()).isEqualTo(2);
    }

    @Test
    void archiveWithACommentIsRead() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            zip.setComment("x".repeat(300));
            zip.putNextEntry(new ZipEntry("a.png"));
            zip.write(TestFiles.png(SHAPE, 0.5f));
        }
        assertThat(read(out.toByteArray()).count()).isEqualTo(1);
    }

    @Test
    void entryNameThatIsNotUtf8IsMalformedOnEveryJdk() {
        byte[] zip = twoPngs();
        zip[30] = (byte) 0xC3; // "a.png" becomes 0xC3 '.' "png": a UTF-8 lead byte without its continuation
        assertThatThrownBy(() -> read(zip)).isInstanceOfSatisfying(DatasetFormatException.class,
                e -> assertThat(e.kind()).isEqualTo(DatasetFormatException.Kind.MALFORMED));
    }

    private static byte[] twoPngs() {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("a.png", TestFiles.png(SHAPE, 0.5f));
        entries.put("b.png", TestFiles.png(SHAPE, 1f));
        return TestFiles.zip(entries);
    }

    private static void assertMalformed(byte[] zip, String message) {
        assertThatThrownBy(() -> read(zip)).isInstanceOfSatisfying(DatasetFormatException.class, e -> {
            assertThat(e.kind()).isEqualTo(DatasetFormatException.Kind.MALFORMED);
            assertThat(e.getMessage()).contains(message);
        });
    }

    private static ImageData read(byte[] zip) throws IOException {
        return ZipImagesFormat.read(new ByteArrayInputStream(zip), LIMITS);
    }

    private static int indexOf(byte[] bytes, byte[] pattern, int from) {
        for (int i = from; i + pattern.length <= bytes.length; i++) {
            if (Arrays.equals(bytes, i, i + pattern.length, pattern, 0, pattern.length)) {
                return i;
            }
        }
        throw new IllegalArgumentException("pattern not found");
    }
}
