package dev.latentserve.datasets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.latentserve.config.StorageProperties;
import dev.latentserve.image.ImageData;
import dev.latentserve.image.ImageShape;
import dev.latentserve.testing.SyntheticImages;
import dev.latentserve.testing.TestFiles;
import dev.latentserve.testing.TestImages;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

class DatasetServiceTests {

    private static final ImageShape SHAPE = new ImageShape(1, 8, 8);

    @TempDir
    Path root;

    private DatasetService service;

    @BeforeEach
    void setUp() throws IOException {
        service = service(1 << 20, 1000);
    }

    private DatasetService service(long maxDecodedBytes, int maxImages) throws IOException {
        return new DatasetService(new StorageProperties(root), new DatasetProperties(maxDecodedBytes, maxImages, 64,
                root.resolve("no-such-dir")), JsonMapper.builder().findAndAddModules().build());
    }

    @Test
    void idxPlainAndGzippedRoundTrip() throws IOException {
        ImageData data = SyntheticImages.blobs(SHAPE, 10, 1);
        Dataset plain = service.create(in(TestFiles.idx(data)), "plain");
        Dataset gz = service.create(in(TestFiles.gzip(TestFiles.idx(data))), "gz");
        assertThat(plain.count()).isEqualTo(10);
        assertThat(plain.shape()).isEqualTo(SHAPE);
        assertThat(plain.format()).isEqualTo("idx");
        assertThat(gz.format()).isEqualTo("idx.gz");
        assertThat(service.load(gz.id()).uint8()).isEqualTo(data.uint8());
        assertThat(service.list()).extracting(Dataset::id).containsExactly(plain.id(), gz.id());
        service.delete(plain.id());
        assertThat(service.list()).extracting(Dataset::id).containsExactly(gz.id());
        assertThatThrownBy(() -> service.get(plain.id())).isInstanceOf(DatasetNotFoundException.class);
    }

    @Test
    void wrongMagicNumberIsRefused() {
        byte[] labels = {0, 0, 8, 1, 0, 0, 0, 2, 5, 7};
        assertMalformed(labels, "magic number is 0x00000801");
    }

    @Test
    void truncatedIdxIsRefusedAndNothingIsStored() throws IOException {
        byte[] idx = TestFiles.idx(SyntheticImages.blobs(SHAPE, 10, 1));
        assertMalformed(Arrays.copyOf(idx, idx.length - 5), "truncated");
        assertMalformed(Arrays.copyOf(idx, 10), "shorter than its header");
    }

    @Test
    void corruptOrTruncatedGzipIsMalformedNotAnIoError() {
        // DatasetFormatsFuzzTests#upload, crash-696002a6...: a bad deflate stream escaped as ZipException (a 500).
        byte[] gz = TestFiles.gzip(TestFiles.idx(SyntheticImages.blobs(SHAPE, 10, 1)));
        assertMalformed(Arrays.copyOf(gz, gz.length / 2), "gzip stream is truncated");
        byte[] reservedBlockType = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 0xff, 0x07, 0, 0, 0};
        assertMalformed(reservedBlockType, "gzip stream is corrupt: invalid block type");
        byte[] unknownMethod = {0x1f, (byte) 0x8b, 7, 0, 0, 0, 0, 0, 0, (byte) 0xff, 0, 0};
        assertMalformed(unknownMethod, "gzip stream is corrupt");
    }

    @Test
    void zipOfPngsIsReadInNameOrder() throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("b.png", TestFiles.png(SHAPE, 1f));
        entries.put("a.png", TestFiles.png(SHAPE, 0f));
        entries.put("__MACOSX/._a.png", new byte[] {1, 2, 3});
        Dataset dataset = service.create(in(TestFiles.zip(entries)), "pngs");
        assertThat(dataset.count()).isEqualTo(2);
        ImageData loaded = service.load(dataset.id());
        assertThat(loaded.uint8()[0]).isEqualTo((byte) 0);
        assertThat(loaded.uint8()[SHAPE.size()]).isEqualTo((byte) 255);
    }

    @Test
    void zipWithMixedImageSizesIsRefused() throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("a.png", TestFiles.png(SHAPE, 0f));
        entries.put("b.png", TestFiles.png(new ImageShape(1, 9, 8), 0f));
        assertMalformed(TestFiles.zip(entries), "mixed image sizes: 'a.png' is 8x8 (width x height) but 'b.png' is 8x9");
    }

    @Test
    void zipOfGreyAndColourImagesIsRgbWithTheGreyOnesRepeated() throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("a.png", TestFiles.png(SHAPE, 51 / 255f));
        entries.put("b.png", TestFiles.png(new ImageShape(3, 8, 8), 200 / 255f));
        Dataset dataset = service.create(in(TestFiles.zip(entries)), "mixed");
        assertThat(dataset.shape()).isEqualTo(new ImageShape(3, 8, 8));
        byte[] pixels = service.load(dataset.id()).uint8();
        assertThat(pixels).hasSize(2 * 3 * 64);
        for (int i = 0; i < 3 * 64; i++) {
            assertThat(pixels[i] & 0xFF).as("grey image, value %d", i).isEqualTo(51);
            assertThat(pixels[3 * 64 + i] & 0xFF).as("colour image, value %d", i).isEqualTo(200);
        }
    }

    @Test
    void zipOfGreyImagesInOtherLayoutsIsGrey() throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("grey.png", TestFiles.png(new ImageShape(1, 1, 2), 51 / 255f));
        entries.put("palette.png", TestImages.png(TestImages.palette(0xFF000000, 0xFFFFFFFF)));
        entries.put("alpha.png", TestImages.png(TestImages.samples(2, 1, 8, 2, 200, 255, 200, 128)));
        Dataset dataset = service.create(in(TestFiles.zip(entries)), "greys");
        assertThat(dataset.shape()).isEqualTo(new ImageShape(1, 1, 2));
        // Name order: alpha.png (200, 200 at alpha 128 on black: 100), grey.png, palette.png.
        assertThat(service.load(dataset.id()).uint8()).containsExactly(200, 100, 51, 51, 0, 255);
    }

    @Test
    void zipOfPhonePhotosIsReadAsDisplayed() throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("a.jpg", TestImages.fixture("orientation-6.jpg"));
        entries.put("b.jpg", TestImages.fixture("orientation-8.jpg"));
        Dataset dataset = service.create(in(TestFiles.zip(entries)), "photos");
        // Stored 48 wide and 32 high; both orientations turn them upright, 32 wide and 48 high.
        assertThat(dataset.shape()).isEqualTo(new ImageShape(3, 48, 32));
        ImageData loaded = service.load(dataset.id());
        float[] first = new float[dataset.shape().size()];
        float[] second = new float[dataset.shape().size()];
        loaded.copyImage(0, first, 0);
        loaded.copyImage(1, second, 0);
        // Top-left block: the stored bottom-left (140) after turning clockwise, the stored top-right (100) after
        // turning counter-clockwise.
        assertThat(first[8 * 32 + 8] * 255).isCloseTo(140f, within(2f));
        assertThat(second[8 * 32 + 8] * 255).isCloseTo(100f, within(2f));
    }

    @Test
    void aPhotoShownUprightIsAnotherSizeThanOneShownAsStored() {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("a.jpg", TestImages.fixture("orientation-6.jpg"));
        entries.put("b.jpg", TestImages.fixture("orientation-1.jpg"));
        assertMalformed(TestFiles.zip(entries), "'a.jpg' is 32x48 (width x height) but 'b.jpg' is 48x32");
    }

    @Test
    void zipEntryThatClimbsOutOfTheArchiveIsRefused() throws IOException {
        assertMalformed(TestFiles.zip(Map.of("../../etc/evil.png", TestFiles.png(SHAPE, 0f))), "outside the archive");
        assertMalformed(TestFiles.zip(Map.of("/abs.png", TestFiles.png(SHAPE, 0f))), "outside the archive");
    }

    @Test
    void zipThatIsNotImagesIsRefused() throws IOException {
        assertMalformed(TestFiles.zip(Map.of("notes.txt", "hello".getBytes())), "notes.txt");
    }

    @Test
    void zipBombIsStoppedAtTheDecodedLimit() throws IOException {
        DatasetService small = service(100_000, 1000);
        byte[] zeros = new byte[5_000_000];
        byte[] bomb = TestFiles.zip(Map.of("big.png", zeros));
        assertThat(bomb.length).isLessThan(50_000);
        assertThatThrownBy(() -> small.create(in(bomb), "bomb"))
                .isInstanceOfSatisfying(DatasetFormatException.class, e -> assertThat(e.kind()).isEqualTo(DatasetFormatException.Kind.TOO_LARGE));
        java.nio.ByteBuffer header = java.nio.ByteBuffer.allocate(16 + zeros.length);
        header.putInt(0x00000803).putInt(100_000).putInt(28).putInt(28).put(zeros);
        byte[] gzBomb = TestFiles.gzip(header.array());
        assertThatThrownBy(() -> small.create(in(gzBomb), "gzbomb"))
                .isInstanceOfSatisfying(DatasetFormatException.class, e -> assertThat(e.kind()).isEqualTo(DatasetFormatException.Kind.TOO_LARGE));
        assertNothingStored();
    }

    @Test
    void tooManyImagesIsTooLarge() throws IOException {
        DatasetService small = service(1 << 20, 5);
        byte[] idx = TestFiles.idx(SyntheticImages.blobs(SHAPE, 10, 1));
        assertThatThrownBy(() -> small.create(in(idx), "many"))
                .isInstanceOfSatisfying(DatasetFormatException.class, e -> assertThat(e.kind()).isEqualTo(DatasetFormatException.Kind.TOO_LARGE));
    }

    @Test
    void npyUint8ChannelsLastAndFloatArraysAreRead() throws IOException {
        byte[] hwc = new byte[2 * 4 * 4 * 3];
        for (int i = 0; i < hwc.length; i++) {
            hwc[i] = (byte) (i % 3 == 0 ? 200 : 10); // channel 0 bright, others dark
        }
        Dataset rgb = service.create(in(TestFiles.npy("|u1", "2, 4, 4, 3", hwc)), "rgb");
        assertThat(rgb.shape()).isEqualTo(new ImageShape(3, 4, 4));
        byte[] chw = service.load(rgb.id()).uint8();
        assertThat(chw[0]).isEqualTo((byte) 200);
        assertThat(chw[16]).isEqualTo((byte) 10);

        float[] values = new float[2 * 4 * 4];
        Arrays.fill(values, 0.25f);
        Dataset floats = service.create(in(TestFiles.npy("<f4", "2, 4, 4", TestFiles.floats(values))), "f");
        assertThat(floats.dtype()).isEqualTo("float32");
        assertThat(service.load(floats.id()).float32()).containsOnly(0.25f);
    }

    @Test
    void npyWithValuesOutsideTheUnitIntervalOrBadDtypeIsRefused() {
        float[] values = new float[16];
        values[3] = Float.NaN;
        assertMalformed(TestFiles.npy("<f4", "1, 4, 4", TestFiles.floats(values)), "outside [0, 1]");
        assertMalformed(TestFiles.npy("<c8", "1, 2, 2", new byte[32]), "dtype");
        assertMalformed(TestFiles.npy("|u1", "1, 5, 4, 4", new byte[80]), "shape");
        assertMalformed(TestFiles.npy("|u1", "2, 4, 4", new byte[20]), "truncated");
    }

    @Test
    void unknownBytesAreAnUnsupportedFormat() {
        assertThatThrownBy(() -> service.create(in("hello, world".getBytes()), "text"))
                .isInstanceOfSatisfying(DatasetFormatException.class,
                        e -> assertThat(e.kind()).isEqualTo(DatasetFormatException.Kind.UNSUPPORTED_FORMAT));
    }

    @Test
    void aNamedDatasetIsFoundByItsNameWhichNoOtherUploadCanTake() throws IOException {
        ImageData data = SyntheticImages.blobs(SHAPE, 4, 1);
        Dataset named = service.createNamed(in(TestFiles.idx(data)), "my-train");
        assertThat(named.name()).isEqualTo("my-train");
        assertThat(named.id()).startsWith("ds-");
        assertThat(service.get("my-train")).isEqualTo(named);
        assertThat(service.load("my-train").uint8()).isEqualTo(data.uint8());
        assertThatThrownBy(() -> service.createNamed(in(TestFiles.idx(data)), "my-train"))
                .isInstanceOf(DatasetConflictException.class).hasMessageContaining("'my-train' exists already");
        assertThat(service.list()).hasSize(1);
        // Deleting by name frees the name for another upload.
        service.delete("my-train");
        assertThatThrownBy(() -> service.get("my-train")).isInstanceOf(DatasetNotFoundException.class);
        Dataset again = service.createNamed(in(TestFiles.idx(data)), "my-train");
        assertThat(again.id()).isNotEqualTo(named.id());
        assertThat(service.get("my-train")).isEqualTo(again);
        // An unnamed upload's label (its file name) is no name: two may share it.
        service.create(in(TestFiles.idx(data)), "train.idx");
        service.create(in(TestFiles.idx(data)), "train.idx");
        assertThat(service.list()).hasSize(3);
    }

    @Test
    void importingFashionMnistTwiceCreatesNothingTheSecondTime() throws IOException {
        Path dir = Files.createDirectories(root.resolve("fashion"));
        ImageData data = SyntheticImages.blobs(new ImageShape(1, 28, 28), 3, 1);
        Files.write(dir.resolve("train-images-idx3-ubyte.gz"), TestFiles.gzip(TestFiles.idx(data)));
        Files.write(dir.resolve("t10k-images-idx3-ubyte.gz"), TestFiles.gzip(TestFiles.idx(data)));
        DatasetService fashion = new DatasetService(new StorageProperties(root.resolve("store")),
                new DatasetProperties(1 << 20, 1000, 64, dir), JsonMapper.builder().findAndAddModules().build());
        DatasetService.Imported first = fashion.importFashionMnist();
        DatasetService.Imported second = fashion.importFashionMnist();
        assertThat(first.created()).isTrue();
        assertThat(second.created()).isFalse();
        assertThat(second.datasets()).extracting(Dataset::id).containsExactly("fashion-mnist-train", "fashion-mnist-test");
        assertThat(second.datasets()).isEqualTo(first.datasets());
    }

    @Test
    void fashionMnistImportNeedsTheFolder() {
        assertThatThrownBy(() -> service.importFashionMnist()).isInstanceOf(FashionMnistUnavailableException.class);
    }

    @Test
    void unsafeIdsAreNotFound() {
        assertThatThrownBy(() -> service.get("../models")).isInstanceOf(DatasetNotFoundException.class);
        assertThatThrownBy(() -> service.delete("..")).isInstanceOf(DatasetNotFoundException.class);
    }

    private void assertMalformed(byte[] bytes, String message) {
        assertThatThrownBy(() -> service.create(in(bytes), "bad"))
                .isInstanceOfSatisfying(DatasetFormatException.class, e -> {
                    assertThat(e.kind()).isEqualTo(DatasetFormatException.Kind.MALFORMED);
                    assertThat(e.getMessage()).contains(message);
                });
        assertNothingStored();
    }

    private void assertNothingStored() {
        try (Stream<Path> files = Files.walk(root.resolve("datasets"))) {
            assertThat(files.filter(Files::isRegularFile).toList()).isEmpty();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static ByteArrayInputStream in(byte[] bytes) {
        return new ByteArrayInputStream(bytes);
    }
}
