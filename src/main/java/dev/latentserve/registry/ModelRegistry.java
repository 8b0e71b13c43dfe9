package dev.latentserve.registry;

import dev.latentserve.family.LatentSpec;
import dev.latentserve.config.StorageProperties;
import dev.latentserve.storage.Directories;
import dev.latentserve.storage.Names;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.PlatformTransactionManager;
import tools.jackson.databind.json.JsonMapper;

/**
 * The model registry. A version exists for readers exactly when its row in {@code model_versions}
 * exists; its files ({@code manifest.json} beside the parameters) are renamed into
 * {@code <root>/models/<name>/<version>/} before the row is inserted, so a reader never finds a row
 * without its files. {@link #publish} joins the caller's transaction: a job inserts the version and
 * marks itself SUCCEEDED in one commit. Folders left without a row by a crash are removed at start.
 */
@Service
public class ModelRegistry {

    private static final Logger log = LoggerFactory.getLogger(ModelRegistry.class);
    static final String MANIFEST = "manifest.json";
    private static final Duration ORPHAN_AGE = Duration.ofMinutes(10);

    private final Path root;
    private final JsonMapper json;
    private final JdbcClient jdbc;
    private final VersionNumbers numbers;
    private final ApplicationEventPublisher events;

    ModelRegistry(StorageProperties storage, JsonMapper json, JdbcClient jdbc, PlatformTransactionManager transactions,
            ApplicationEventPublisher events) throws IOException {
        this.root = storage.root().resolve("models");
        this.json = json;
        this.jdbc = jdbc;
        this.numbers = new VersionNumbers(jdbc, transactions);
        this.events = events;
        Files.createDirectories(root);
        Directories.cleanStaging(root);
        removeOrphans();
    }

    /** A folder on the models' file system to write a new version's files into before {@link #publish}. */
    public Path newStaging() throws IOException {
        return Directories.newStaging(root);
    }

    /**
     * Moves {@code staging} into place as the next version of the model and records it; call inside a
     * transaction to publish together with other changes. The number comes from {@link VersionNumbers} (a row
     * lock in a transaction of its own), so publishers in several processes never pick the same one; a folder
     * left under a number by a crashed publisher is skipped. If recording the row fails, the files go back to
     * {@code staging}, so the caller can try again without redoing the work that made them. The version is
     * announced as {@link ModelVersionPublished}, whose listeners act once the caller's transaction commits.
     *
     * @return the manifest with its version number
     * @throws IOException when the files cannot be moved (no atomic rename, staging missing)
     */
    public ModelManifest publish(ModelManifest manifest, Path staging) throws IOException {
        Names.check("model name", manifest.name());
        Path modelDir = root.resolve(manifest.name());
        Files.createDirectories(modelDir);
        int floor = 0;
        for (int attempt = 0; attempt < 100; attempt++) {
            int version = numbers.next(manifest.name(), floor);
            ModelManifest numbered = manifest.withVersion(version);
            json.writeValue(staging.resolve(MANIFEST).toFile(), numbered);
            Path target = directory(numbered);
            if (!Directories.moveIfAbsent(staging, target)) {
                log.warn("model folder {} exists without a record (left by a crash); skipping version {}", target, version);
                floor = version;
                continue;
            }
            try {
                insert(numbered);
            } catch (RuntimeException e) {
                Directories.unpublish(target, staging);
                throw e;
            }
            log.info("published model {}", numbered.reference());
            events.publishEvent(new ModelVersionPublished(numbered));
            return numbered;
        }
        throw new IOException("could not allocate a version for model " + manifest.name());
    }

    /** Removes the files of a version whose publishing transaction did not commit. */
    public void discard(ModelManifest manifest) {
        try {
            Directories.deleteRecursively(directory(manifest));
        } catch (IOException e) {
            log.warn("could not remove unpublished files of {}", manifest.reference(), e);
        }
    }

    /**
     * Moves the files of a version whose publishing transaction did not commit back to {@code staging}, to be
     * published again; removes them if that fails.
     *
     * @return whether {@code staging} holds the files again
     */
    public boolean withdraw(ModelManifest manifest, Path staging) {
        try {
            Directories.unpublish(directory(manifest), staging);
            return true;
        } catch (IOException e) {
            log.warn("could not move the unpublished files of {} back to staging", manifest.reference(), e);
            discard(manifest);
            return false;
        }
    }

    public List<ModelSummary> list() {
        Map<String, List<Integer>> versions = new LinkedHashMap<>();
        Map<String, String> families = new LinkedHashMap<>();
        jdbc.sql("SELECT name, version, family FROM model_versions ORDER BY name, version").query(rs -> {
            versions.computeIfAbsent(rs.getString("name"), n -> new ArrayList<>()).add(rs.getInt("version"));
            families.put(rs.getString("name"), rs.getString("family"));
        });
        return versions.entrySet().stream()
                .map(e -> new ModelSummary(e.getKey(), e.getValue().getLast(), families.get(e.getKey()), List.copyOf(e.getValue())))
                .toList();
    }

    public ModelSummary summary(String name) {
        Names.check("model name", name);
        List<Integer> versions = versions(name);
        if (versions.isEmpty()) {
            throw notFound(name);
        }
        ModelManifest latest = version(name, versions.getLast());
        return new ModelSummary(name, latest.version(), latest.family(), versions);
    }

    /** Resolves {@code name} to its newest version, or {@code name@version} to that version. */
    public ModelManifest resolve(ModelReference reference) {
        if (reference.version() != null) {
            return version(reference.name(), reference.version());
        }
        List<Integer> versions = versions(reference.name());
        if (versions.isEmpty()) {
            throw notFound(reference.name());
        }
        return version(reference.name(), versions.getLast());
    }

    /**
     * For sampling: {@code name@version} is that version; a bare name is its newest version that can sample (a codebook
     * refit publishes a version without the prior fitted to the old codes), or the newest when none can, for the
     * caller to refuse naming it.
     */
    public ModelManifest resolveSampler(ModelReference reference) {
        ModelManifest newest = resolve(reference);
        if (reference.version() != null || newest.latent().sampling() != LatentSpec.Sampling.NEEDS_PRIOR) {
            return newest;
        }
        List<Integer> versions = versions(reference.name());
        for (int i = versions.size() - 1; i >= 0; i--) {
            Optional<ModelManifest> candidate = find(reference.name(), versions.get(i));
            if (candidate.isPresent() && candidate.get().latent().sampling() != LatentSpec.Sampling.NEEDS_PRIOR) {
                return candidate.get();
            }
        }
        return newest;
    }

    public ModelManifest version(String name, int version) {
        Names.check("model name", name);
        return find(name, version).orElseThrow(() -> new ModelNotFoundException("model " + name + " has no version " + version
                + "; GET /v1/models/" + name + " lists its versions"));
    }

    /** The folder holding a version's parameter files. */
    public Path directory(ModelManifest manifest) {
        return root.resolve(manifest.name()).resolve(Integer.toString(manifest.version()));
    }

    /** Deletes a version: its row, then (after announcing {@link ModelVersionDeleted}) its files. */
    public void delete(String name, int version) throws IOException {
        ModelManifest manifest = version(name, version);
        int removed = jdbc.sql("DELETE FROM model_versions WHERE name = :name AND version = :version")
                .param("name", name).param("version", version).update();
        if (removed == 0) {
            throw new ModelNotFoundException("model " + name + " has no version " + version);
        }
        // Listeners let go of the version (caches, queues, the loaded model) before its files go.
        events.publishEvent(new ModelVersionDeleted(manifest));
        Directories.deleteAtomically(directory(manifest));
        log.info("deleted model {}", manifest.reference());
    }

    public boolean exists(String name, int version) {
        return find(name, version).isPresent();
    }

    /**
     * Installs a ready-made version folder (the shipped models) under the name and version of its
     * manifest; false when that version exists already.
     */
    public boolean install(Path staging) throws IOException {
        ModelManifest manifest = json.readValue(staging.resolve(MANIFEST).toFile(), ModelManifest.class);
        Names.check("model name", manifest.name());
        if (exists(manifest.name(), manifest.version())) {
            Directories.deleteRecursively(staging);
            return false;
        }
        Path target = directory(manifest);
        // A folder already there (another replica installing at the same moment, or a crash before the
        // row was written) holds the same files: keep it and make sure the row exists.
        if (!Directories.publish(staging, target) && !Files.isRegularFile(target.resolve(MANIFEST))) {
            return false;
        }
        numbers.reserve(manifest.name(), manifest.version());
        try {
            insert(manifest);
            return true;
        } catch (org.springframework.dao.DuplicateKeyException e) {
            return false;
        }
    }

    private void insert(ModelManifest manifest) {
        Object jobId = manifest.training() == null ? null : manifest.training().get("jobId");
        jdbc.sql("""
                INSERT INTO model_versions (name, version, family, manifest_json, job_id, created_at)
                VALUES (:name, :version, :family, :manifest, :job, :created)""")
                .param("name", manifest.name())
                .param("version", manifest.version())
                .param("family", manifest.family())
                .param("manifest", json.writeValueAsString(manifest))
                .param("job", jobId == null ? null : jobId.toString())
                .param("created", Timestamp.from(manifest.createdAt()))
                .update();
    }

    private Optional<ModelManifest> find(String name, int version) {
        return jdbc.sql("SELECT manifest_json FROM model_versions WHERE name = :name AND version = :version")
                .param("name", name).param("version", version).query(String.class).optional()
                .map(text -> json.readValue(text, ModelManifest.class));
    }

    private List<Integer> versions(String name) {
        return jdbc.sql("SELECT version FROM model_versions WHERE name = :name ORDER BY version")
                .param("name", name).query(Integer.class).list();
    }

    /** Deletes version folders that no row points to and that no publisher is still busy with. */
    private void removeOrphans() throws IOException {
        Instant cutoff = Instant.now().minus(ORPHAN_AGE);
        try (Stream<Path> models = Files.list(root)) {
            for (Path modelDir : models.filter(Files::isDirectory).toList()) {
                String name = modelDir.getFileName().toString();
                if (!Names.isSafe(name)) {
                    continue;
                }
                List<Integer> recorded = versions(name);
                try (Stream<Path> entries = Files.list(modelDir)) {
                    for (Path dir : entries.toList()) {
                        String file = dir.getFileName().toString();
                        FileTime modified = Files.getLastModifiedTime(dir);
                        if (file.matches("[1-9][0-9]{0,8}") && !recorded.contains(Integer.parseInt(file))
                                && modified.toInstant().isBefore(cutoff)) {
                            log.warn("removing model folder {}/{} that no published version points to", name, file);
                            Directories.deleteRecursively(dir);
                        }
                    }
                }
            }
        }
    }

    private static ModelNotFoundException notFound(String name) {
        return new ModelNotFoundException("no model named '" + name + "'; GET /v1/models lists them");
    }
}
