package dev.latentserve.registry;

import dev.latentserve.config.StorageProperties;
import dev.latentserve.storage.Directories;
import dev.latentserve.storage.Names;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;
import tools.jackson.databind.json.JsonMapper;

/**
 * Model versions on disk: {@code <root>/models/<name>/<version>/manifest.json} beside the parameters.
 * A version folder is complete from the moment it exists: it is assembled in a staging folder and
 * renamed into place, and a version number is taken by that rename alone, so two publishers never
 * share one.
 */
@Service
public class ModelRegistry {

    private static final Logger log = LoggerFactory.getLogger(ModelRegistry.class);
    static final String MANIFEST = "manifest.json";

    private final Path root;
    private final JsonMapper json;
    private final List<Consumer<ModelManifest>> deletionListeners = new CopyOnWriteArrayList<>();

    ModelRegistry(StorageProperties storage, JsonMapper json) throws IOException {
        this.root = storage.root().resolve("models");
        this.json = json;
        Files.createDirectories(root);
        Directories.cleanStaging(root);
    }

    /** A folder on the models' file system to write a new version's files into before {@link #publish}. */
    public Path newStaging() throws IOException {
        return Directories.newStaging(root);
    }

    /**
     * Writes the manifest into {@code staging} and publishes it as the next version of the model.
     *
     * @return the manifest with its version number
     */
    public ModelManifest publish(ModelManifest manifest, Path staging) throws IOException {
        Names.check("model name", manifest.name());
        for (int attempt = 0; attempt < 100; attempt++) {
            int version = versions(manifest.name()).stream().mapToInt(Integer::intValue).max().orElse(0) + 1;
            ModelManifest numbered = manifest.withVersion(version);
            json.writeValue(staging.resolve(MANIFEST).toFile(), numbered);
            Files.createDirectories(root.resolve(manifest.name()));
            try {
                Files.move(staging, root.resolve(manifest.name()).resolve(Integer.toString(version)),
                        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                log.info("published model {}", numbered.reference());
                return numbered;
            } catch (java.nio.file.FileAlreadyExistsException | java.nio.file.DirectoryNotEmptyException e) {
                // another publisher took this number first; try the next one
            }
        }
        throw new IOException("could not allocate a version for model " + manifest.name());
    }

    public List<ModelSummary> list() throws IOException {
        List<ModelSummary> models = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(root)) {
            for (Path dir : dirs.sorted().toList()) {
                String name = dir.getFileName().toString();
                if (Names.isSafe(name)) {
                    findSummary(name).ifPresent(models::add);
                }
            }
        }
        return models;
    }

    public ModelSummary summary(String name) throws IOException {
        return findSummary(Names.check("model name", name)).orElseThrow(() -> notFound(name));
    }

    private Optional<ModelSummary> findSummary(String name) throws IOException {
        List<Integer> versions = versions(name);
        if (versions.isEmpty()) {
            return Optional.empty();
        }
        ModelManifest latest = manifest(name, versions.getLast());
        return Optional.of(new ModelSummary(name, latest.version(), latest.family(), versions));
    }

    /** Resolves {@code name} to its newest version, or {@code name@version} to that version. */
    public ModelManifest resolve(ModelReference reference) throws IOException {
        if (reference.version() != null) {
            return version(reference.name(), reference.version());
        }
        List<Integer> versions = versions(reference.name());
        if (versions.isEmpty()) {
            throw notFound(reference.name());
        }
        return manifest(reference.name(), versions.getLast());
    }

    public ModelManifest version(String name, int version) throws IOException {
        Names.check("model name", name);
        Path file = root.resolve(name).resolve(Integer.toString(version)).resolve(MANIFEST);
        if (!Files.isRegularFile(file)) {
            throw new ModelNotFoundException("model " + name + " has no version " + version
                    + "; GET /v1/models/" + name + " lists its versions");
        }
        return manifest(name, version);
    }

    /** The folder holding a version's parameter files. */
    public Path directory(ModelManifest manifest) {
        return root.resolve(manifest.name()).resolve(Integer.toString(manifest.version()));
    }

    public void delete(String name, int version) throws IOException {
        ModelManifest manifest = version(name, version);
        if (!Directories.deleteAtomically(directory(manifest))) {
            throw new ModelNotFoundException("model " + name + " has no version " + version);
        }
        deletionListeners.forEach(listener -> listener.accept(manifest));
        try (Stream<Path> left = Files.list(root.resolve(name))) {
            if (left.findAny().isEmpty()) {
                Files.deleteIfExists(root.resolve(name));
            }
        } catch (IOException e) {
            log.debug("could not tidy empty model folder {}", name, e);
        }
        log.info("deleted model {}", manifest.reference());
    }

    /** Called after a version's files are gone, so caches can drop it. */
    public void onDeletion(Consumer<ModelManifest> listener) {
        deletionListeners.add(listener);
    }

    /** Whether {@code name@version} is in the registry. */
    public boolean exists(String name, int version) {
        return Files.isRegularFile(root.resolve(name).resolve(Integer.toString(version)).resolve(MANIFEST));
    }

    /** Installs a ready-made version folder (the shipped models) under its own name and version. */
    public boolean install(String name, int version, Path staging) throws IOException {
        return Directories.publish(staging, root.resolve(Names.check("model name", name)).resolve(Integer.toString(version)));
    }

    private List<Integer> versions(String name) throws IOException {
        Path dir = root.resolve(name);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.map(p -> p.getFileName().toString())
                    .filter(s -> s.matches("[1-9][0-9]{0,8}"))
                    .filter(s -> Files.isRegularFile(dir.resolve(s).resolve(MANIFEST)))
                    .map(Integer::valueOf)
                    .sorted()
                    .toList();
        }
    }

    private ModelManifest manifest(String name, int version) throws IOException {
        Path file = root.resolve(name).resolve(Integer.toString(version)).resolve(MANIFEST);
        try {
            return json.readValue(file.toFile(), ModelManifest.class);
        } catch (RuntimeException e) {
            throw new UncheckedIOException(new IOException("unreadable manifest " + file, e));
        }
    }

    private static ModelNotFoundException notFound(String name) {
        return new ModelNotFoundException("no model named '" + name + "'; GET /v1/models lists them");
    }
}
