package dev.latentserve.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArchiveUnpackerTests {

    @TempDir
    Path target;

    private final ArchiveUnpacker unpacker = new ArchiveUnpacker(1_000_000, 4);

    static byte[] zip(Map<String, byte[]> entries) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            for (Map.Entry<String, byte[]> entry : entries.entrySet()) {
                zip.putNextEntry(new ZipEntry(entry.getKey()));
                zip.write(entry.getValue());
                zip.closeEntry();
            }
        }
        return bytes.toByteArray();
    }

    private static Map<String, byte[]> entries(String... namesAndTexts) {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        for (int i = 0; i < namesAndTexts.length; i += 2) {
            entries.put(namesAndTexts[i], namesAndTexts[i + 1].getBytes(StandardCharsets.UTF_8));
        }
        return entries;
    }

    @Test
    void filesAtTheRootOrInOneFolderAreUnpackedFlatWithTheUploadsDigest() throws IOException {
        byte[] archive = zip(entries("model/", "", "model/a.pt", "A", "model/b.json", "{}"));

        ArchiveUnpacker.Unpacked unpacked = unpacker.unpack(new ByteArrayInputStream(archive), target);

        assertThat(unpacked.files()).containsExactly("a.pt", "b.json");
        assertThat(Files.readString(target.resolve("a.pt"))).isEqualTo("A");
        assertThat(unpacked.sha256()).hasSize(64).isEqualTo(java.util.HexFormat.of().formatHex(
                ArchiveUnpacker.sha256().digest(archive)));
    }

    @Test
    void entriesThatCouldEscapeOrNestAreRefused() {
        for (String name : new String[] {"../evil.pt", "/etc/passwd", "/encoder.pt", "\\encoder.pt", "a/b/c.pt", "a/../../x", "..", ".hidden", "a\\..\\x.pt",
                "sp ace.pt"}) {
            assertThatThrownBy(() -> unpacker.unpack(new ByteArrayInputStream(zip(entries(name, "x"))), target))
                    .as(name).isInstanceOf(InvalidArchiveException.class).hasMessageContaining("not a plain file name");
        }
        assertThat(target.resolveSibling("evil.pt")).doesNotExist();
    }

    @Test
    void filesMustShareOneFolderAndOneName() {
        assertThatThrownBy(() -> unpacker.unpack(new ByteArrayInputStream(zip(entries("a/x.pt", "1", "b/y.pt", "2"))), target))
                .isInstanceOf(InvalidArchiveException.class).hasMessageContaining("one folder");
        assertThatThrownBy(() -> unpacker.unpack(new ByteArrayInputStream(zip(entries("x.pt", "1", "a/y.pt", "2"))), target))
                .isInstanceOf(InvalidArchiveException.class).hasMessageContaining("one folder");
        assertThatThrownBy(() -> unpacker.unpack(new ByteArrayInputStream(zip(entries("a/x.pt", "1", "x.pt", "2"))), target))
                .isInstanceOf(InvalidArchiveException.class);
    }

    @Test
    void aBombStopsAtTheByteLimitAndTooManyFilesAtTheEntryLimit() throws IOException {
        byte[] zeros = new byte[2_000_000];
        assertThatThrownBy(() -> unpacker.unpack(new ByteArrayInputStream(zip(Map.of("big.pt", zeros))), target))
                .isInstanceOf(ArchiveTooLargeException.class).hasMessageContaining("max-import-bytes");
        assertThatThrownBy(() -> unpacker.unpack(new ByteArrayInputStream(zip(entries("a", "1", "b", "2", "c", "3", "d", "4", "e",
                "5"))), target)).isInstanceOf(ArchiveTooLargeException.class).hasMessageContaining("max-import-entries");
    }

    @Test
    void aZipCutShortInsideAnEntryIsRefusedAsSuch() throws IOException {
        byte[] whole = zip(Map.of("big.pt", new java.util.Random(1).ints(20_000).mapToObj(Integer::toString)
                .collect(java.util.stream.Collectors.joining(",")).getBytes(StandardCharsets.UTF_8)));
        byte[] cut = java.util.Arrays.copyOf(whole, whole.length / 2);
        assertThatThrownBy(() -> unpacker.unpack(new ByteArrayInputStream(cut), target))
                .isInstanceOf(InvalidArchiveException.class).hasMessageContaining("cut short");
    }

    @Test
    void somethingElseThanAZipIsRefused() {
        assertThatThrownBy(() -> unpacker.unpack(new ByteArrayInputStream("not a zip".getBytes(StandardCharsets.UTF_8)), target))
                .isInstanceOf(InvalidArchiveException.class).hasMessageContaining("not a zip archive");
        assertThatThrownBy(() -> unpacker.unpack(new ByteArrayInputStream(new byte[0]), target))
                .isInstanceOf(InvalidArchiveException.class);
    }
}
