package dev.latentserve.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import dev.latentserve.config.StorageProperties;
import dev.latentserve.storage.InvalidNameException;
import dev.latentserve.testing.TestManifests;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import tools.jackson.databind.json.JsonMapper;

/**
 * The registry on an H2 database migrated by Flyway, without the application around it: version numbers, resolving
 * {@code name} and {@code name@version}, deleting, and the events its listeners (caches, queues, loaded models) get.
 */
class ModelRegistryTests {

    @TempDir
    Path root;

    private final List<Seen> events = new ArrayList<>();
    private ModelRegistry registry;
    private int publishes;

    @BeforeEach
    void start() throws IOException {
        DriverManagerDataSource database = new DriverManagerDataSource("jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
        Flyway.configure().dataSource(database).load().migrate();
        registry = new ModelRegistry(new StorageProperties(root), JsonMapper.builder().build(), JdbcClient.create(database),
                new DataSourceTransactionManager(database), event -> events.add(new Seen(event, filesExist(event))));
    }

    /** An event as a listener saw it, with whether the version's files were there at that moment. */
    private record Seen(Object event, boolean filesThere) {
    }

    @Test
    void versionsAreNumberedPerModelFromOne() throws IOException {
        assertThat(publish("a").version()).isEqualTo(1);
        assertThat(publish("a").version()).isEqualTo(2);
        assertThat(publish("b").version()).isEqualTo(1);
        assertThat(publish("a").version()).isEqualTo(3);

        assertThat(registry.list()).extracting(ModelSummary::name, ModelSummary::latestVersion, ModelSummary::versions)
                .containsExactly(tuple("a", 3, List.of(1, 2, 3)), tuple("b", 1, List.of(1)));
        ModelManifest second = registry.version("a", 2);
        assertThat(second.version()).isEqualTo(2);
        assertThat(registry.directory(second).resolve("vae-0000.params")).hasContent("a #2");
        assertThat(registry.directory(second).resolve(ModelRegistry.MANIFEST)).exists();
    }

    @Test
    void aNameResolvesToItsNewestVersionAndNameAtVersionToThatOne() throws IOException {
        publish("a");
        publish("a");

        assertThat(registry.resolve(ModelReference.parse("a")).version()).isEqualTo(2);
        assertThat(registry.resolve(ModelReference.parse("a@1")).version()).isEqualTo(1);
        assertThat(registry.resolve(ModelReference.parse("a@1")).training()).containsEntry("publisher", "a #1");
        assertThatThrownBy(() -> registry.resolve(ModelReference.parse("a@3"))).isInstanceOf(ModelNotFoundException.class)
                .hasMessage("model a has no version 3; GET /v1/models/a lists its versions");
        assertThatThrownBy(() -> registry.resolve(ModelReference.parse("nothing"))).isInstanceOf(ModelNotFoundException.class)
                .hasMessage("no model named 'nothing'; GET /v1/models lists them");
        assertThatThrownBy(() -> registry.version("../a", 1)).isInstanceOf(InvalidNameException.class);
    }

    @Test
    void aDeletedVersionIsGoneWithItsFilesAndItsNumberIsNeverHandedOutAgain() throws IOException {
        publish("a");
        ModelManifest second = publish("a");
        Path files = registry.directory(second);

        registry.delete("a", 2);

        assertThat(files).doesNotExist();
        assertThat(registry.exists("a", 2)).isFalse();
        assertThat(registry.resolve(ModelReference.parse("a")).version()).isEqualTo(1);
        assertThatThrownBy(() -> registry.delete("a", 2)).isInstanceOf(ModelNotFoundException.class);
        assertThat(publish("a").version()).as("the next number, not the deleted one").isEqualTo(3);
        registry.delete("a", 1);
        registry.delete("a", 3);
        assertThatThrownBy(() -> registry.summary("a")).isInstanceOf(ModelNotFoundException.class);
        assertThat(publish("a").version()).isEqualTo(4);
    }

    @Test
    void publishingAndDeletingAreAnnouncedADeletionWhileTheFilesAreStillThere() throws IOException {
        ModelManifest published = publish("a");
        registry.delete("a", 1);

        assertThat(events).containsExactly(new Seen(new ModelVersionPublished(published), true),
                new Seen(new ModelVersionDeleted(published), true));
    }

    @Test
    void aFailedPublishAnnouncesNothing() throws IOException {
        Path staging = registry.newStaging();
        assertThatThrownBy(() -> registry.publish(TestManifests.vae("../escape", 0), staging))
                .isInstanceOf(InvalidNameException.class);
        assertThatThrownBy(() -> registry.delete("a", 1)).isInstanceOf(ModelNotFoundException.class);
        assertThat(events).isEmpty();
    }

    @Test
    void forSamplingABareNameIsItsNewestVersionThatCanSample() throws IOException {
        publishCodes("vq", "none");
        publishCodes("vq", "gated-pixelcnn");
        publishCodes("vq", "none");
        assertThat(registry.resolveSampler(ModelReference.parse("vq")).version()).isEqualTo(2);
        assertThat(registry.resolveSampler(ModelReference.parse("vq@3")).version()).as("a version asked for is that version")
                .isEqualTo(3);
        assertThat(registry.resolve(ModelReference.parse("vq")).version()).as("other operations: the newest").isEqualTo(3);
        publishCodes("plain", "none");
        assertThat(registry.resolveSampler(ModelReference.parse("plain")).version()).as("none can: the newest, to refuse")
                .isEqualTo(1);
        publish("gauss");
        assertThat(registry.resolveSampler(ModelReference.parse("gauss")).version()).isEqualTo(1);
    }

    private void publishCodes(String name, String prior) throws IOException {
        Path staging = registry.newStaging();
        Files.writeString(staging.resolve("vqvae-0000.params"), name);
        registry.publish(new ModelManifest(name, 0, "vqvae", Map.of(), new dev.latentserve.image.ImageShape(1, 8, 8),
                new dev.latentserve.family.LatentSpec.CodeGrid(4, 2, java.util.List.of(2, 2), prior), Map.of(), Map.of(),
                java.time.Instant.now()), staging);
    }

    /** Publishes a version as a job does, with files and a manifest that say which publish made them. */
    private ModelManifest publish(String name) throws IOException {
        String publisher = name + " #" + (++publishes);
        Path staging = registry.newStaging();
        Files.writeString(staging.resolve("vae-0000.params"), publisher);
        return registry.publish(TestManifests.vae(name, 0, Map.of("publisher", publisher)), staging);
    }

    private boolean filesExist(Object event) {
        ModelManifest manifest = event instanceof ModelVersionPublished(ModelManifest m) ? m
                : ((ModelVersionDeleted) event).manifest();
        return Files.isRegularFile(registry.directory(manifest).resolve(ModelRegistry.MANIFEST));
    }
}
