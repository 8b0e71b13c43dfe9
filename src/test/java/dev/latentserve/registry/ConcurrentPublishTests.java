package dev.latentserve.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.latentserve.testing.PostgresAvailable;
import dev.latentserve.testing.PostgresSupport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;

/**
 * Publishers of one model racing for version numbers: two JVMs on one PostgreSQL and one data directory (as two
 * replicas on one volume), two registries on one H2 database, and the leftovers of a crashed publisher. Every
 * publish must get its own number, its files and its row, on the first try.
 */
class ConcurrentPublishTests {

    private static final int PER_PROCESS = 24;

    @Test
    @ExtendWith(PostgresAvailable.class)
    void twoProcessesPublishingOneModelAtOnceGetDistinctVersions(@TempDir Path root) throws Exception {
        PostgresSupport.Database database = PostgresSupport.freshSchema();
        migrate(database.schemaUrl(), database.username(), database.password());
        Path logA = root.resolve("publisher-a.log");
        Path logB = root.resolve("publisher-b.log");
        Process a = publisher(database, root, PER_PROCESS, logA);
        Process b = publisher(database, root, PER_PROCESS, logB);
        List<Integer> versions = new ArrayList<>(outputOf(a, logA));
        versions.addAll(outputOf(b, logB));

        assertThat(versions).as("every publish got a number of its own").doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(IntStream.rangeClosed(1, 2 * PER_PROCESS).boxed().toList());
        DataSourceTransactionManager manager = PublishingProcess.transactionManager(database.schemaUrl(), database.username(),
                database.password());
        assertPublishedWhole(manager, root, 2 * PER_PROCESS);
    }

    @Test
    void twoRegistriesOnOneH2DatabasePublishAtOnce(@TempDir Path root) throws Exception {
        String url = "jdbc:h2:file:" + root.resolve("db/latentserve").toAbsolutePath() + ";DB_CLOSE_ON_EXIT=FALSE";
        migrate(url, "sa", "");
        List<ModelRegistry> registries = List.of(PublishingProcess.registry(PublishingProcess.transactionManager(url, "sa", ""), root),
                PublishingProcess.registry(PublishingProcess.transactionManager(url, "sa", ""), root));
        TransactionTemplate transactions = new TransactionTemplate(PublishingProcess.transactionManager(url, "sa", ""));
        List<Future<Integer>> results = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(6)) {
            for (int i = 0; i < 2 * PER_PROCESS; i++) {
                ModelRegistry registry = registries.get(i % 2);
                int index = i;
                results.add(pool.submit(() -> PublishingProcess.publishOne(registry, transactions, "raced", index)));
            }
        }
        Set<Integer> versions = new HashSet<>();
        for (Future<Integer> result : results) {
            versions.add(result.get());
        }
        assertThat(versions).containsExactlyInAnyOrderElementsOf(IntStream.rangeClosed(1, 2 * PER_PROCESS).boxed().toList());
        assertPublishedWhole(PublishingProcess.transactionManager(url, "sa", ""), root, 2 * PER_PROCESS);
    }

    @Test
    void aFolderLeftByACrashedPublisherIsSkippedAndARowConflictKeepsTheFiles(@TempDir Path root) throws Exception {
        String url = "jdbc:h2:file:" + root.resolve("db/latentserve").toAbsolutePath() + ";DB_CLOSE_ON_EXIT=FALSE";
        migrate(url, "sa", "");
        DataSourceTransactionManager manager = PublishingProcess.transactionManager(url, "sa", "");
        ModelRegistry registry = PublishingProcess.registry(manager, root);
        TransactionTemplate transactions = new TransactionTemplate(manager);
        // A publisher died after its rename and before its row: version 1's folder is there, non-empty, unrecorded.
        Files.createDirectories(root.resolve("models/raced/1"));
        Files.writeString(root.resolve("models/raced/1/model-0000.params"), "debris");

        assertThat(PublishingProcess.publishOne(registry, transactions, "raced", 0)).isEqualTo(2);

        // A row the number allocator does not know about (written by hand): the insert conflicts, and the files
        // go back to staging so that the same publish can simply be tried again.
        JdbcClient jdbc = JdbcClient.create(java.util.Objects.requireNonNull(manager.getDataSource()));
        jdbc.sql("""
                INSERT INTO model_versions (name, version, family, manifest_json, created_at)
                VALUES ('raced', 3, 'vae', '{}', CURRENT_TIMESTAMP)""").update();
        Path staging = registry.newStaging();
        Files.writeString(staging.resolve("model-0000.params"), "work worth keeping");
        ModelManifest manifest = new ModelManifest("raced", 0, "vae", java.util.Map.of(), new dev.latentserve.image.ImageShape(1, 4, 4),
                new dev.latentserve.family.LatentSpec.Gaussian(2), java.util.Map.of(), java.util.Map.of(), java.time.Instant.now());
        assertThatThrownBy(() -> transactions.executeWithoutResult(status -> publish(registry, manifest, staging)))
                .isInstanceOf(DuplicateKeyException.class);
        assertThat(staging.resolve("model-0000.params")).hasContent("work worth keeping");
        assertThat(root.resolve("models/raced/3/model-0000.params")).as("the hand-written row keeps its own files").doesNotExist();

        transactions.executeWithoutResult(status -> assertThat(publish(registry, manifest, staging).version()).isEqualTo(4));
        assertThat(root.resolve("models/raced/4/model-0000.params")).hasContent("work worth keeping");
        assertThat(staging).doesNotExist();
    }

    private static ModelManifest publish(ModelRegistry registry, ModelManifest manifest, Path staging) {
        try {
            return registry.publish(manifest, staging);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Each version has its row, its folder, and a manifest that names it; no staging debris is left. */
    private static void assertPublishedWhole(DataSourceTransactionManager manager, Path root, int count) throws IOException {
        JdbcClient jdbc = JdbcClient.create(java.util.Objects.requireNonNull(manager.getDataSource()));
        List<Integer> rows = jdbc.sql("SELECT version FROM model_versions WHERE name = 'raced' ORDER BY version")
                .query(Integer.class).list();
        assertThat(rows).hasSize(count);
        JsonMapper json = JsonMapper.builder().build();
        Set<String> publishers = new HashSet<>();
        for (int version : rows) {
            Path folder = root.resolve("models/raced/" + version);
            ModelManifest manifest = json.readValue(folder.resolve("manifest.json").toFile(), ModelManifest.class);
            assertThat(manifest.version()).isEqualTo(version);
            assertThat(folder.resolve("model-0000.params")).hasContent((String) manifest.training().get("publisher"));
            publishers.add((String) manifest.training().get("publisher"));
        }
        assertThat(publishers).as("no publish landed twice").hasSize(count);
        try (Stream<Path> staging = Files.list(root.resolve("models/.staging"))) {
            assertThat(staging.toList()).as("nothing left in staging").isEmpty();
        }
    }

    private static void migrate(String url, String user, String password) {
        Flyway.configure().dataSource(url, user, password).load().migrate();
    }

    private static Process publisher(PostgresSupport.Database database, Path root, int count, Path log) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        return new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), PublishingProcess.class.getName(),
                database.schemaUrl(), database.username(), database.password(), root.toString(), "raced",
                Integer.toString(count), "3")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static List<Integer> outputOf(Process process, Path log) throws Exception {
        boolean exited = process.waitFor(120, TimeUnit.SECONDS);
        if (!exited) {
            process.destroyForcibly();
        }
        String output = Files.readString(log);
        assertThat(exited).as("publisher finished in time; its output:%n%s", output).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        return output.lines().filter(line -> line.startsWith("published "))
                .map(line -> Integer.parseInt(line.substring("published ".length()).trim())).toList();
    }
}
