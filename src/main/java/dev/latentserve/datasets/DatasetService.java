package dev.latentserve.datasets;

import dev.latentserve.api.BadRequestException;
import dev.latentserve.config.StorageProperties;
import dev.latentserve.image.ImageCodec;
import dev.latentserve.image.ImageData;
import dev.latentserve.image.ImageShape;
import dev.latentserve.storage.Directories;
import dev.latentserve.storage.Names;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;
import tools.jackson.databind.json.JsonMapper;

/**
 * Parses uploads (IDX, optionally gzipped; zip of PNG/JPEG; npy), validates them fully in memory and
 * only then stores them: {@code <root>/datasets/<id>/dataset.json} and {@code pixels.npy}, published by
 * an atomic rename so that a failed or interrupted upload leaves nothing behind. Reads them back whole (for training)
 * or a range of images at a time (to look at them).
 */
@Service
public class DatasetService {

    private static final Logger log = LoggerFactory.getLogger(DatasetService.class);
    private static final String METADATA = "dataset.json";
    private static final String PIXELS = "pixels.npy";
    private static final int HEAD = 8;

    /** The most images {@link #grid} lays out at once. */
    public static final int MAX_GRID_IMAGES = 256;
    /**
     * The most image pixels in one grid, 2^22: 256 images of 128x128, 16 of 512x512. Bounds a request's memory (the
     * images are held as floats on their way to the PNG: 50 MB for RGB at this limit).
     */
    static final long MAX_GRID_PIXELS = 1L << 22;

    private final Path root;
    private final DatasetProperties properties;
    private final JsonMapper json;

    DatasetService(StorageProperties storage, DatasetProperties properties, JsonMapper json) throws IOException {
        this.root = storage.root().resolve("datasets");
        this.properties = properties;
        this.json = json;
        Files.createDirectories(root);
        Directories.cleanStaging(root);
    }

    /** Parses and stores one upload; {@code label} describes it (the file name), the id is generated. */
    public Dataset create(InputStream upload, @Nullable String label) throws IOException {
        Parsed parsed = parse(upload, properties.limits());
        return store(newId(), label, parsed);
    }

    /**
     * Parses and stores one upload under a name that jobs and {@code GET /v1/datasets/{name}} may use in place of its
     * id. Names are unique: the name is claimed (atomically, so two replicas cannot both take it) before the upload is
     * stored, and freed again if storing fails or the dataset is deleted.
     *
     * @throws DatasetConflictException when a dataset has that name or id already (409)
     */
    public Dataset createNamed(InputStream upload, String name) throws IOException {
        if (find(name).isPresent()) {
            throw taken(name);
        }
        Parsed parsed = parse(upload, properties.limits());
        Path claim = names().resolve(name);
        try {
            Files.createFile(claim);
        } catch (FileAlreadyExistsException e) {
            throw taken(name);
        }
        try {
            Dataset dataset = store(newId(), name, parsed);
            Files.writeString(claim, dataset.id());
            return dataset;
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(claim);
            throw e;
        }
    }

    private DatasetConflictException taken(String name) {
        return new DatasetConflictException("a dataset named '" + name + "' exists already; use it, delete it "
                + "(DELETE /v1/datasets/" + name + "), or upload under another name");
    }

    /** The folder of name claims: one file per name, holding the id (empty while the upload is being stored). */
    private Path names() throws IOException {
        return Files.createDirectories(root.resolve(".names"));
    }

    /** The ids {@link #importFashionMnist} gives the training and test sets. */
    public static final List<String> FASHION_MNIST = List.of("fashion-mnist-train", "fashion-mnist-test");

    /** What {@link #importFashionMnist} found: both datasets, and whether it had to create either. */
    public record Imported(List<Dataset> datasets, boolean created) {
    }

    /**
     * Imports Debian's Fashion-MNIST as datasets {@code fashion-mnist-train} and {@code fashion-mnist-test}; a second
     * import finds them and creates nothing.
     */
    public Imported importFashionMnist() throws IOException {
        Path dir = properties.fashionMnistDir();
        Path train = dir.resolve("train-images-idx3-ubyte.gz");
        Path test = dir.resolve("t10k-images-idx3-ubyte.gz");
        if (!Files.isRegularFile(train) || !Files.isRegularFile(test)) {
            throw new FashionMnistUnavailableException(dir);
        }
        List<Dataset> result = new ArrayList<>();
        boolean created = false;
        for (var entry : List.of(new String[] {FASHION_MNIST.get(0), train.toString()},
                new String[] {FASHION_MNIST.get(1), test.toString()})) {
            Optional<Dataset> existing = find(entry[0]);
            if (existing.isPresent()) {
                result.add(existing.get());
                continue;
            }
            try (InputStream in = Files.newInputStream(Path.of(entry[1]))) {
                result.add(store(entry[0], entry[0], parse(in, properties.limits())));
                created = true;
            }
        }
        return new Imported(List.copyOf(result), created);
    }

    public List<Dataset> list() throws IOException {
        try (Stream<Path> dirs = Files.list(root)) {
            List<Dataset> datasets = new ArrayList<>();
            for (Path dir : dirs.filter(d -> Names.isSafe(d.getFileName().toString())).toList()) {
                readMetadata(dir).ifPresent(datasets::add);
            }
            datasets.sort(Comparator.comparing(Dataset::createdAt).thenComparing(Dataset::id));
            return datasets;
        }
    }

    /** The dataset with this id, or else the one uploaded under this name. */
    public Optional<Dataset> find(String idOrName) throws IOException {
        if (!Names.isSafe(idOrName)) {
            return Optional.empty();
        }
        Optional<Dataset> byId = readMetadata(root.resolve(idOrName));
        if (byId.isPresent()) {
            return byId;
        }
        Path claim = root.resolve(".names").resolve(idOrName);
        String id = Files.isRegularFile(claim) ? Files.readString(claim).strip() : "";
        return Names.isSafe(id) ? readMetadata(root.resolve(id)) : Optional.empty();
    }

    public Dataset get(String id) throws IOException {
        return find(id).orElseThrow(() -> new DatasetNotFoundException(id));
    }

    /** Deletes the dataset with this id or name, and frees its name. */
    public void delete(String idOrName) throws IOException {
        Dataset dataset = find(idOrName).orElseThrow(() -> new DatasetNotFoundException(idOrName));
        if (!Directories.deleteAtomically(root.resolve(dataset.id()))) {
            throw new DatasetNotFoundException(idOrName);
        }
        Path claim = root.resolve(".names").resolve(dataset.name());
        if (Names.isSafe(dataset.name()) && Files.isRegularFile(claim) && Files.readString(claim).strip().equals(dataset.id())) {
            Files.delete(claim);
        }
        log.info("deleted dataset {}", dataset.id());
    }

    /** The dataset's images, read back into memory. */
    public ImageData load(String id) throws IOException {
        Dataset dataset = get(id);
        return read(id, dataset, 0, dataset.count());
    }

    /** A dataset's images as one PNG, and how many the dataset holds (for {@code X-Total-Count}). */
    public record Png(byte[] bytes, int total) {
    }

    /**
     * One image of a dataset as PNG: grey or RGB as stored, pixels in [0, 1] scaled to 8 bits (a uint8 dataset's values
     * come back exactly). Reads that image's bytes only, not the whole dataset.
     *
     * @param idOrName the dataset's id or name
     * @param index 0-based
     * @throws DatasetNotFoundException if there is no such dataset (404)
     * @throws DatasetImageNotFoundException if {@code index} is negative or not below the dataset's count (404)
     */
    public Png image(String idOrName, int index) throws IOException {
        Dataset dataset = get(idOrName);
        if (index < 0 || index >= dataset.count()) {
            throw new DatasetImageNotFoundException(idOrName, dataset.count(), "index", index);
        }
        ImageData image = read(idOrName, dataset, index, 1);
        return new Png(ImageCodec.png(dataset.shape(), pixels(image, 0)), dataset.count());
    }

    /**
     * Images {@code from .. from+count-1} of a dataset as one PNG grid ({@link ImageCodec#grid}: rows of
     * {@code columns} images with a 2-pixel black gap); where the range passes the end, the images that exist. Reads
     * those images' bytes only, not the whole dataset.
     *
     * @param idOrName the dataset's id or name
     * @param from the first image, 0-based, at least 0
     * @param count 1 to {@value #MAX_GRID_IMAGES}
     * @param columns images per row, at least 1; null for ceil(sqrt(n)) of the n images found
     * @throws DatasetNotFoundException if there is no such dataset (404)
     * @throws DatasetImageNotFoundException if {@code from} is not below the dataset's count (404)
     * @throws BadRequestException if the images found have more than {@value #MAX_GRID_PIXELS} pixels together (400)
     * @throws IllegalArgumentException if {@code from}, {@code count} or {@code columns} is out of its range above
     */
    public Png grid(String idOrName, int from, int count, @Nullable Integer columns) throws IOException {
        if (from < 0 || count < 1 || count > MAX_GRID_IMAGES || (columns != null && columns < 1)) {
            throw new IllegalArgumentException("from=" + from + ", count=" + count + ", columns=" + columns);
        }
        Dataset dataset = get(idOrName);
        if (from >= dataset.count()) {
            throw new DatasetImageNotFoundException(idOrName, dataset.count(), "from", from);
        }
        int found = Math.min(count, dataset.count() - from);
        ImageShape shape = dataset.shape();
        long pixels = (long) found * shape.height() * shape.width();
        if (pixels > MAX_GRID_PIXELS) {
            long fit = MAX_GRID_PIXELS / ((long) shape.height() * shape.width());
            throw new BadRequestException("bad-request", "Invalid parameter", "count=" + count + " asks for " + found
                    + " images of " + shape.height() + "x" + shape.width() + ", " + pixels + " pixels; a grid holds at most "
                    + MAX_GRID_PIXELS + ": ask for count=" + fit + " or fewer");
        }
        ImageData images = read(idOrName, dataset, from, found);
        List<float[]> list = new ArrayList<>(found);
        for (int i = 0; i < found; i++) {
            list.add(pixels(images, i));
        }
        int layout = columns == null ? ImageCodec.gridColumns(found) : columns;
        return new Png(ImageCodec.grid(shape, list, layout), dataset.count());
    }

    /** Images {@code from .. from+count-1} of a dataset found under {@code idOrName}, which must exist. */
    private ImageData read(String idOrName, Dataset dataset, int from, int count) throws IOException {
        try {
            return StoredPixels.read(root.resolve(dataset.id()).resolve(PIXELS), dataset.shape(), dataset.dtype(), from, count);
        } catch (NoSuchFileException e) {
            throw new DatasetNotFoundException(idOrName); // deleted since its metadata was read
        }
    }

    private static float[] pixels(ImageData images, int index) {
        float[] pixels = new float[images.shape().size()];
        images.copyImage(index, pixels, 0);
        return pixels;
    }

    /** Recognises the upload's format by its first bytes (unwrapping gzip) and parses it completely. */
    static Parsed parse(InputStream upload, UploadLimits limits) throws IOException {
        BufferedInputStream in = new BufferedInputStream(upload);
        byte[] head = peek(in);
        boolean gzipped = head.length >= 2 && (head[0] & 0xFF) == 0x1F && (head[1] & 0xFF) == 0x8B;
        if (gzipped) {
            // The limit covers the header too; the images themselves are checked again by the parser.
            in = new BufferedInputStream(new LimitedInputStream(GunzipStream.open(in), limits.maxDecodedBytes() + 1024,
                    "the gzip stream"));
            head = peek(in);
        }
        if (IdxFormat.matches(head)) {
            return new Parsed(IdxFormat.read(in, limits), gzipped ? "idx.gz" : "idx");
        }
        if (!gzipped && ZipImagesFormat.matches(head)) {
            return new Parsed(ZipImagesFormat.read(in, limits), "zip");
        }
        if (NpyFormat.matches(head)) {
            return new Parsed(NpyFormat.read(in, limits), "npy");
        }
        throw new DatasetFormatException(DatasetFormatException.Kind.UNSUPPORTED_FORMAT,
                "unrecognised upload: send an IDX image file (optionally gzipped), a zip of PNG/JPEG images or a .npy array");
    }

    private static byte[] peek(BufferedInputStream in) throws IOException {
        in.mark(HEAD);
        byte[] head = in.readNBytes(HEAD);
        in.reset();
        return head;
    }

    private Dataset store(String id, @Nullable String name, Parsed parsed) throws IOException {
        ImageData data = parsed.data();
        ImageShape shape = data.shape();
        String label = name == null || name.isBlank() ? id : name.strip();
        Dataset dataset = new Dataset(id, label.length() > 200 ? label.substring(0, 200) : label, data.count(),
                shape.channels(), shape.height(), shape.width(), parsed.format(), data.isUint8() ? "uint8" : "float32",
                Instant.now());
        Path staging = Directories.newStaging(root);
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(staging.resolve(PIXELS)), 1 << 16)) {
            NpyFormat.write(data, out);
        }
        json.writeValue(staging.resolve(METADATA).toFile(), dataset);
        if (!Directories.publish(staging, root.resolve(id))) {
            throw new DatasetConflictException("dataset '" + id + "' exists already");
        }
        log.info("stored dataset {} ({} images of {})", id, dataset.count(), shape);
        return dataset;
    }

    private Optional<Dataset> readMetadata(Path dir) throws IOException {
        Path file = dir.resolve(METADATA);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(json.readValue(file.toFile(), Dataset.class));
        } catch (RuntimeException e) {
            throw new UncheckedIOException(new IOException("unreadable dataset metadata " + file, e));
        }
    }

    private static String newId() {
        return "ds-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong()).substring(0, 12);
    }

    /** A parsed upload and the format it came in ({@code idx}, {@code idx.gz}, {@code zip}, {@code npy}). */
    record Parsed(ImageData data, String format) {
    }
}
