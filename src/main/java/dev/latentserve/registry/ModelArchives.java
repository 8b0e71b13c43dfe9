package dev.latentserve.registry;

import ai.djl.Device;
import dev.latentserve.datasets.Dataset;
import dev.latentserve.datasets.DatasetService;
import dev.latentserve.family.HeldOutQuantiles;
import dev.latentserve.family.HeldOutScoring;
import dev.latentserve.family.Importing;
import dev.latentserve.family.LatentSpec;
import dev.latentserve.family.LoadedModel;
import dev.latentserve.family.ModelFamilies;
import dev.latentserve.family.ModelFamily;
import dev.latentserve.family.NoPriorException;
import dev.latentserve.family.NotScorableException;
import dev.latentserve.family.Scoring;
import dev.latentserve.image.ImageData;
import dev.latentserve.storage.Directories;
import dev.latentserve.storage.Names;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.jspecify.annotations.Nullable;
import org.springframework.stereotype.Service;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * Moves model versions between installations and brings in models trained elsewhere.
 *
 * <p>An archive ({@link #export}) is a zip of a version's files (its manifest, parameters and any modules) with
 * {@value #CHECKSUMS}, the SHA-256 of each, as {@code sha256sum} writes them. Importing it ({@link #importArchive})
 * checks every checksum, loads the model and runs it once, then publishes it as the next version of the name it is
 * imported under: the same files, so the same outputs bit for bit on the same device, and the same training record,
 * with {@code training.importedFrom} saying where it came from. A zip of a PyTorch export (a descriptor and
 * TorchScript modules, see {@code examples/pytorch}) is handed to the family that imports such files
 * ({@link Importing}), which validates it completely before anything is published. Either way the files are unpacked
 * into a staging folder and renamed into place, so a failed import leaves nothing behind.
 */
@Service
public class ModelArchives {

    static final String CHECKSUMS = "checksums.sha256";
    /** Imports are rare and admin-only: one daemon thread a probe, so a module that never answers holds only its own. */
    private static final ExecutorService PROBES = Executors.newCachedThreadPool(Thread.ofPlatform().daemon().name("import-probe-", 0)
            .factory());

    private final ModelRegistry registry;
    private final ModelFamilies families;
    private final DatasetService datasets;
    private final Device device;
    private final JsonMapper json;
    private final RegistryProperties properties;

    ModelArchives(ModelRegistry registry, ModelFamilies families, DatasetService datasets, Device engineDevice, JsonMapper json,
            RegistryProperties properties) {
        this.registry = registry;
        this.families = families;
        this.datasets = datasets;
        this.device = engineDevice;
        this.json = json;
        this.properties = properties;
    }

    /**
     * A held-out dataset to score an import on before it is published, so that /score can give percentiles against it
     * (a VAE trained here gets them from its training job's test set; an imported one has none).
     *
     * @param dataset the stored dataset's id or name
     * @param images how many of its first images to score; null for all
     */
    public record TestSet(String dataset, @Nullable Integer images) {
    }

    /** Writes {@code version}'s files and their checksums to {@code out} as a zip. */
    public void export(ModelManifest version, OutputStream out) throws IOException {
        Path dir = registry.directory(version);
        List<Path> files;
        try (Stream<Path> listing = Files.list(dir)) {
            files = listing.filter(Files::isRegularFile).sorted().toList();
        }
        StringBuilder checksums = new StringBuilder();
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                MessageDigest digest = ArchiveUnpacker.sha256();
                zip.putNextEntry(new ZipEntry(name));
                try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
                    in.transferTo(zip);
                }
                zip.closeEntry();
                checksums.append(HexFormat.of().formatHex(digest.digest())).append("  ").append(name).append('\n');
            }
            zip.putNextEntry(new ZipEntry(CHECKSUMS));
            zip.write(checksums.toString().getBytes(StandardCharsets.UTF_8));
            zip.closeEntry();
        }
    }

    /**
     * Publishes the zip {@code archive} as the next version of model {@code name}.
     *
     * @param testSet when not null, the images whose scores' quantiles the manifest gets ({@link HeldOutQuantiles})
     * @throws InvalidArchiveException (422) for anything that keeps the archive from becoming a working version
     * @throws ArchiveTooLargeException (413) past {@code latentserve.registry.max-import-bytes} or {@code -entries}
     * @throws InvalidTestSetException (422) for a test set that is not there, holds other images than the model takes, or
     *     that a model which cannot score images is given
     */
    public ModelManifest importArchive(String name, InputStream archive, @Nullable TestSet testSet) throws IOException {
        Names.check("model name", name);
        @Nullable Dataset test = testSet == null ? null : testDataset(testSet);
        Path staging = registry.newStaging();
        try {
            ArchiveUnpacker.Unpacked unpacked = new ArchiveUnpacker(properties.maxImportBytes(), properties.maxImportEntries())
                    .unpack(archive, staging);
            return publish(name, staging, unpacked.files(), unpacked.sha256(), test, testSet);
        } finally {
            Directories.deleteRecursively(staging);
        }
    }

    /**
     * Publishes loose files (a PyTorch export sent as multipart parts) as the next version of {@code name}.
     *
     * @param files each file's name in the version folder and its content
     * @param testSet as for {@link #importArchive}
     */
    public ModelManifest importFiles(String name, Map<String, InputStreamSource> files, @Nullable TestSet testSet)
            throws IOException {
        Names.check("model name", name);
        @Nullable Dataset test = testSet == null ? null : testDataset(testSet);
        Path staging = registry.newStaging();
        try {
            MessageDigest digest = ArchiveUnpacker.sha256();
            long total = 0;
            for (Map.Entry<String, InputStreamSource> file : files.entrySet()) {
                if (!ArchiveUnpacker.isPlainFileName(file.getKey())) {
                    throw new InvalidArchiveException("file name '" + file.getKey() + "' is not a plain file name (letters, digits, "
                            + "'.', '_', '-'; no folders): send the files as they are named in the export, e.g. "
                            + "-F file=@export/encoder.pt");
                }
                try (InputStream in = new DigestInputStream(file.getValue().open(), digest)) {
                    total += Files.copy(in, staging.resolve(file.getKey()));
                }
                if (total > properties.maxImportBytes()) {
                    throw new ArchiveTooLargeException("the files add up to more than " + properties.maxImportBytes()
                            + " bytes (latentserve.registry.max-import-bytes)");
                }
            }
            return publish(name, staging, List.copyOf(files.keySet()), HexFormat.of().formatHex(digest.digest()), test, testSet);
        } finally {
            Directories.deleteRecursively(staging);
        }
    }

    /** A part's content, opened when it is copied. */
    @FunctionalInterface
    public interface InputStreamSource {
        InputStream open() throws IOException;
    }

    private ModelManifest publish(String name, Path staging, List<String> files, String sha256, @Nullable Dataset test,
            @Nullable TestSet testSet) throws IOException {
        ModelManifest manifest;
        if (files.contains(ModelRegistry.MANIFEST)) {
            manifest = fromArchive(name, staging, files, sha256);
        } else {
            manifest = fromExport(name, staging, files, sha256);
        }
        checkSameKind(name, manifest);
        if (test != null && testSet != null) {
            manifest = withTestQuantiles(manifest, staging, test, testSet.images());
        }
        return registry.publish(manifest, staging);
    }

    /** The dataset {@code testSet} names, checked to exist and to be asked for at least one image. */
    private Dataset testDataset(TestSet testSet) throws IOException {
        if (testSet.images() != null && testSet.images() < 1) {
            throw new InvalidTestSetException("testImages must be at least 1, not " + testSet.images()
                    + "; leave it out to score every image of test dataset '" + testSet.dataset() + "'");
        }
        return datasets.find(testSet.dataset()).orElseThrow(() -> new InvalidTestSetException("no dataset '"
                + testSet.dataset() + "' to score the import on (testDataset); GET /v1/datasets lists them"));
    }

    /**
     * {@code manifest} with the quantiles of the first {@code images} of {@code test}'s scores under the staged version in
     * its metrics ({@link HeldOutQuantiles}) and which images they are in its training record, scored within the import's
     * deadline.
     */
    private ModelManifest withTestQuantiles(ModelManifest manifest, Path staging, Dataset test, @Nullable Integer images)
            throws IOException {
        if (!test.shape().equals(manifest.inputShape())) {
            throw new InvalidTestSetException("test dataset '" + test.name() + "' (" + test.id() + ") holds images of "
                    + test.shape() + " but the model takes " + manifest.inputShape());
        }
        ImageData data = datasets.load(test.id());
        ImageData used = images == null ? data : data.first(Math.min(images, data.count()));
        ModelFamily family = families.find(manifest.family()).orElseThrow();
        Map<String, Object> quantiles = withinTimeout(() -> {
            try (LoadedModel model = family.load(staging, manifest.inputShape(), manifest.architecture(), device)) {
                if (!(model instanceof Scoring scoring)) {
                    throw new InvalidTestSetException("a " + manifest.family() + " model cannot score images, so it has no "
                            + "scores on a test dataset: leave testDataset out");
                }
                return HeldOutQuantiles.metrics(HeldOutQuantiles.scores(scoring, used));
            } catch (NotScorableException | NoPriorException e) {
                throw new InvalidTestSetException("the model cannot score images, so testDataset has nothing to measure ("
                        + e.getMessage() + "): leave testDataset out");
            } catch (IllegalArgumentException e) {
                throw new InvalidTestSetException("scoring test dataset '" + test.name() + "' failed: " + e.getMessage()
                        + "; the model cannot represent these images");
            }
        }, "scoring the " + used.count() + " images of test dataset '" + test.name() + "'", "send testImages to score fewer");
        Map<String, Object> metrics = new LinkedHashMap<>(manifest.metrics());
        metrics.remove(HeldOutScoring.METRIC);
        metrics.remove(HeldOutQuantiles.CODES_METRIC);
        metrics.putAll(quantiles);
        Map<String, Object> training = new LinkedHashMap<>(manifest.training());
        training.put("testDataset", test.id());
        training.put("testImages", used.count());
        return new ModelManifest(manifest.name(), manifest.version(), manifest.family(), manifest.architecture(),
                manifest.inputShape(), manifest.latent(), training, metrics, manifest.createdAt());
    }

    /**
     * A model's versions share one family and one kind of latent space (an imported VAE and an imported VQ-VAE are both
     * of the torchscript family): a bare name must not encode to vectors today and to codes tomorrow.
     */
    private void checkSameKind(String name, ModelManifest manifest) {
        List<Integer> versions = registry.list().stream().filter(model -> model.name().equals(name)).findFirst()
                .map(ModelSummary::versions).orElse(List.of());
        if (versions.isEmpty()) {
            return;
        }
        ModelManifest latest = registry.version(name, versions.getLast());
        if (!latest.family().equals(manifest.family()) || latest.latent().getClass() != manifest.latent().getClass()) {
            throw new InvalidArchiveException("model " + name + " is a " + latest.family() + " with " + latest.latent().getClass().getSimpleName()
                    + " latents; a " + manifest.family() + " with " + manifest.latent().getClass().getSimpleName() + " latents cannot be a version of "
                    + "it: import it under another name");
        }
    }

    /** An archive this service exported: checked file by file, then loaded and run once. */
    private ModelManifest fromArchive(String name, Path staging, List<String> files, String sha256) throws IOException {
        verifyChecksums(staging, files);
        Files.delete(staging.resolve(CHECKSUMS));
        ModelManifest original = readManifest(staging);
        ModelFamily family = families.find(original.family()).orElseThrow(() -> new InvalidArchiveException("the archive holds a "
                + original.family() + " model, a family this server does not know (known: " + families.names() + ")"));
        LatentSpec latent;
        try {
            latent = family.latentSpec(original.architecture(), original.inputShape());
        } catch (RuntimeException e) {
            throw new InvalidArchiveException("the archive's manifest.json has an architecture its family cannot read: "
                    + firstLine(e));
        }
        if (!latent.equals(original.latent())) {
            throw new InvalidArchiveException("the archive's manifest.json says its latent space is " + json.writeValueAsString(
                    original.latent()) + " but its architecture gives " + json.writeValueAsString(latent));
        }
        if (family instanceof Importing importing) {
            // The files the family reads at load (a descriptor, modules) must say what the manifest says.
            Importing.Imported imported = withinTimeout(() -> importing.inspect(staging, device));
            imported.architecture().forEach((key, value) -> {
                if (!value.equals(original.architecture().get(key))) {
                    throw new InvalidArchiveException("the archive's manifest.json records " + key + " = "
                            + original.architecture().get(key) + " but its files say " + value);
                }
            });
            if (!imported.inputShape().equals(original.inputShape())) {
                throw new InvalidArchiveException("the archive's manifest.json records images of " + original.inputShape()
                        + " but its files take " + imported.inputShape());
            }
        }
        withinTimeout(() -> {
            probe(family, staging, original);
            return null;
        });
        Map<String, Object> training = new LinkedHashMap<>(original.training());
        training.put("importedFrom", Map.of("model", original.reference(), "archiveSha256", sha256, "importedAt",
                Instant.now().toString()));
        return new ModelManifest(name, 0, original.family(), original.architecture(), original.inputShape(), original.latent(),
                training, original.metrics(), original.createdAt());
    }

    /** The archived manifest, with every field a version needs; its name and version are only kept as lineage. */
    private ModelManifest readManifest(Path staging) throws IOException {
        ModelManifest original;
        try {
            original = json.readValue(staging.resolve(ModelRegistry.MANIFEST).toFile(), ModelManifest.class);
        } catch (JacksonException e) {
            throw new InvalidArchiveException("the archive's manifest.json cannot be read: " + e.getOriginalMessage());
        }
        if (original == null) {
            throw new InvalidArchiveException("the archive's manifest.json is empty (null)");
        }
        Map<String, Object> required = new LinkedHashMap<>();
        required.put("name", original.name());
        required.put("family", original.family());
        required.put("architecture", original.architecture());
        required.put("inputShape", original.inputShape());
        required.put("latent", original.latent());
        required.put("training", original.training());
        required.put("metrics", original.metrics());
        required.put("createdAt", original.createdAt());
        required.forEach((field, value) -> {
            if (value == null) {
                throw new InvalidArchiveException("the archive's manifest.json has no " + field);
            }
        });
        if (!Names.isSafe(original.name()) || original.version() < 1) {
            throw new InvalidArchiveException("the archive's manifest.json names model '" + original.name() + "' version "
                    + original.version() + ", which no registry publishes");
        }
        return original;
    }

    /**
     * Runs the import's probes with a deadline: TorchScript is code, and a module that never answers must not hold the
     * request (and the publishing of anything) forever. Past the deadline nothing is published; the module's computation
     * finishes on its own thread, which cannot be interrupted inside libtorch.
     */
    private <T> T withinTimeout(Callable<T> probe) throws IOException {
        return withinTimeout(probe, "loading the model and running its probes", "");
    }

    /**
     * @param what what ran out of time, for the message
     * @param remedy what the caller can do about it, for the message; empty for nothing
     */
    private <T> T withinTimeout(Callable<T> probe, String what, String remedy) throws IOException {
        Future<T> running = PROBES.submit(probe);
        try {
            return running.get(properties.importProbeTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            running.cancel(true);
            throw new InvalidArchiveException(what + " took longer than " + properties.importProbeTimeout()
                    .toSeconds() + " s (latentserve.registry.import-probe-timeout); nothing was published"
                    + (remedy.isEmpty() ? "" : ": " + remedy));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while probing an import", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    /** A model trained elsewhere, in the form a family that imports files reads: that family checks it completely. */
    private ModelManifest fromExport(String name, Path staging, List<String> files, String sha256) throws IOException {
        ModelFamily family = families.all().stream().filter(Importing.class::isInstance).findFirst().orElseThrow(() ->
                new InvalidArchiveException("the archive has no manifest.json, so it is not a latentserve archive, and no family "
                        + "of this server imports models trained elsewhere"));
        Importing.Imported imported = withinTimeout(() -> ((Importing) family).inspect(staging, device));
        List<String> unknown = files.stream().filter(file -> !imported.files().contains(file)).toList();
        if (!unknown.isEmpty()) {
            throw new InvalidArchiveException("files " + unknown + " are not part of a " + family.name() + " model, which takes "
                    + imported.files() + ": leave them out");
        }
        Map<String, Object> training = new LinkedHashMap<>();
        training.put("type", "import");
        training.put("archiveSha256", sha256);
        training.put("files", checksums(staging, imported.files()));
        training.put("importedAt", Instant.now().toString());
        return new ModelManifest(name, 0, family.name(), imported.architecture(), imported.inputShape(), imported.latent(), training,
                Map.of(), Instant.now());
    }

    /** Every file but the checksum list is listed in it with its SHA-256, and nothing else is. */
    private static void verifyChecksums(Path staging, List<String> files) throws IOException {
        if (!files.contains(CHECKSUMS)) {
            throw new InvalidArchiveException("the archive has manifest.json but no " + CHECKSUMS + ": send the zip that GET "
                    + "/v1/models/{name}/versions/{version}/archive answers, unchanged");
        }
        Map<String, String> listed = new TreeMap<>();
        List<String> lines;
        try {
            lines = Files.readAllLines(staging.resolve(CHECKSUMS), StandardCharsets.UTF_8);
        } catch (CharacterCodingException e) {
            throw new InvalidArchiveException(CHECKSUMS + " is not text: it holds '<sha256>  <file>' lines, as sha256sum writes them");
        }
        for (String line : lines) {
            if (line.isBlank()) {
                continue;
            }
            String[] fields = line.strip().split("\\s+\\*?", 2);
            if (fields.length != 2 || !fields[0].matches("[0-9a-f]{64}")) {
                throw new InvalidArchiveException(CHECKSUMS + " has a line that is not '<sha256>  <file>': " + line);
            }
            listed.put(fields[1], fields[0]);
        }
        Map<String, String> actual = checksums(staging, files.stream().filter(file -> !file.equals(CHECKSUMS)).toList());
        if (!listed.keySet().equals(actual.keySet())) {
            throw new InvalidArchiveException(CHECKSUMS + " lists " + listed.keySet() + " but the archive holds " + actual.keySet());
        }
        for (Map.Entry<String, String> file : actual.entrySet()) {
            if (!file.getValue().equals(listed.get(file.getKey()))) {
                throw new InvalidArchiveException(file.getKey() + " does not match its checksum: the archive was changed or damaged");
            }
        }
    }

    private static Map<String, String> checksums(Path dir, List<String> files) throws IOException {
        Map<String, String> sums = new TreeMap<>();
        for (String file : files) {
            MessageDigest digest = ArchiveUnpacker.sha256();
            try (InputStream in = new DigestInputStream(Files.newInputStream(dir.resolve(file)), digest)) {
                in.transferTo(OutputStream.nullOutputStream());
            }
            sums.put(file, HexFormat.of().formatHex(digest.digest()));
        }
        return sums;
    }

    /** Loads the unpacked version and reconstructs a blank image (encoder and decoder): it must load and give finite pixels. */
    private void probe(ModelFamily family, Path staging, ModelManifest manifest) {
        try (LoadedModel model = family.load(staging, manifest.inputShape(), manifest.architecture(), device)) {
            float[][] blank = {new float[manifest.inputShape().size()]};
            for (float pixel : model.reconstruct(blank, 0).getFirst().pixels()) {
                if (!Float.isFinite(pixel)) {
                    throw new InvalidArchiveException("the archived model decodes a blank image to non-finite pixels");
                }
            }
        } catch (InvalidArchiveException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new InvalidArchiveException("the archived " + manifest.family() + " model does not load: " + firstLine(e));
        }
    }

    private static String firstLine(Exception e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        int end = message.indexOf('\n');
        return end < 0 ? message : message.substring(0, end);
    }
}
