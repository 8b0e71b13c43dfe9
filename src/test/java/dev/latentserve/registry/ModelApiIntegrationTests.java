package dev.latentserve.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.latentserve.testing.ApiIntegrationSupport;
import dev.latentserve.testing.Http;
import dev.latentserve.testing.Http.Response;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;

/** {@code /v1/models} through the whole application: manifests of trained versions, and deleting one. */
class ModelApiIntegrationTests extends ApiIntegrationSupport {

    @Autowired
    DataSource dataSource;

    String expectedDatabase() {
        return "H2";
    }

    @Test
    void runsOnTheExpectedDatabase() throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            assertThat(connection.getMetaData().getDatabaseProductName()).isEqualTo(expectedDatabase());
        }
    }

    @Test
    void registryListsManifestsAndDeletesVersions() throws InterruptedException {
        JsonNode models = http.get("/v1/models").json();
        assertThat(models.valueStream().map(m -> m.get("name").asString()).toList()).contains(MODEL, "fashion-vae");
        JsonNode manifest = http.get("/v1/models/" + MODEL + "/versions/1").json();
        assertThat(manifest.get("family").asString()).isEqualTo("vae");
        assertThat(manifest.get("inputShape").get("height").asInt()).isEqualTo(16);
        assertThat(manifest.get("architecture").get("latentDim").asInt()).isEqualTo(4);
        assertThat(manifest.get("latent").get("dimension").asInt()).isEqualTo(4);
        assertThat(manifest.get("training").get("dataset").asString()).isEqualTo(trainId);
        assertThat(manifest.get("metrics").get("testNegativeElbo").asDouble()).isPositive();
        assertThat(manifest.get("createdAt").isString()).isTrue();
        assertThat(http.get("/v1/models/" + MODEL).json().get("versions")).hasSize(1);
        assertProblem(http.get("/v1/models/" + MODEL + "/versions/99"), 404, "model-not-found");
        assertProblem(http.get("/v1/models/nothing-here"), 404, "model-not-found");

        // A second version to delete, so the other tests keep version 1.
        JsonNode job = submitSmallJob(MODEL + "-copy", 1);
        assertThat(job.get("state").asString()).isEqualTo("SUCCEEDED");
        assertThat(http.postJson("/v1/models/" + MODEL + "-copy/sample", "{\"count\": 1}").status()).isEqualTo(200);
        assertThat(http.delete("/v1/models/" + MODEL + "-copy/versions/1").status()).isEqualTo(204);
        assertProblem(http.postJson("/v1/models/" + MODEL + "-copy/sample", "{\"count\": 1}"), 404, "model-not-found");
        assertProblem(http.delete("/v1/models/" + MODEL + "-copy/versions/1"), 404, "model-not-found");
    }

    @Test
    void anArchiveImportedElsewhereServesTheSameOutputsAndKeepsItsTrainingRecord() throws IOException {
        Response archive = http.get("/v1/models/" + MODEL + "/versions/1/archive", "application/zip");
        assertThat(archive.status()).as(archive.text()).isEqualTo(200);
        assertThat(archive.headers().firstValue("Content-Disposition")).hasValueSatisfying(value -> assertThat(value)
                .contains(MODEL + "-1.zip"));
        Map<String, byte[]> files = unzip(archive.body());
        assertThat(files).containsKeys("manifest.json", ModelArchives.CHECKSUMS);

        Response imported = http.postMultipart("/v1/models/" + MODEL + "-moved/versions",
                List.of(new Http.Part("archive", "a.zip", "application/zip", archive.body())), "application/json");
        assertThat(imported.status()).as(imported.text()).isEqualTo(201);
        JsonNode manifest = imported.json();
        assertThat(manifest.get("name").asString()).isEqualTo(MODEL + "-moved");
        assertThat(manifest.get("training").get("dataset").asString()).isEqualTo(trainId);
        assertThat(manifest.get("training").get("importedFrom").get("model").asString()).isEqualTo(MODEL + "@1");
        assertThat(manifest.get("metrics")).isEqualTo(http.get("/v1/models/" + MODEL + "/versions/1").json().get("metrics"));
        assertThat(imported.headers().firstValue("Location")).contains("/v1/models/" + MODEL + "-moved/versions/1");

        String decode = "{\"latents\": [[0.5, -1, 0.25, 2]], \"includePixels\": true}";
        Response original = http.postJson("/v1/models/" + MODEL + "/decode", decode);
        Response moved = http.postJson("/v1/models/" + MODEL + "-moved/decode", decode);
        assertThat(moved.json().get("images")).isEqualTo(original.json().get("images"));
        String sample = "{\"count\": 3, \"seed\": 9}";
        assertThat(http.postJson("/v1/models/" + MODEL + "-moved/sample", sample).json().get("images"))
                .isEqualTo(http.postJson("/v1/models/" + MODEL + "/sample", sample).json().get("images"));
        assertThat(http.delete("/v1/models/" + MODEL + "-moved/versions/1").status()).isEqualTo(204);
    }

    @Test
    void anArchiveThatWasChangedOrIsNotOneIsRefusedAndLeavesNothing() throws IOException {
        Map<String, byte[]> files = unzip(http.get("/v1/models/" + MODEL + "/versions/1/archive", "application/zip").body());
        String params = files.keySet().stream().filter(name -> name.endsWith(".params")).findFirst().orElseThrow();
        Map<String, byte[]> tampered = new LinkedHashMap<>(files);
        byte[] changed = files.get(params).clone();
        changed[changed.length - 1] ^= 1;
        tampered.put(params, changed);
        assertImportRefused(zip(tampered), 422, "does not match its checksum");

        Map<String, byte[]> unlisted = new LinkedHashMap<>(files);
        unlisted.put("extra.bin", new byte[] {1});
        assertImportRefused(zip(unlisted), 422, "lists");

        Map<String, byte[]> noChecksums = new LinkedHashMap<>(files);
        noChecksums.remove(ModelArchives.CHECKSUMS);
        assertImportRefused(zip(noChecksums), 422, "checksums.sha256");

        assertImportRefused(zip(Map.of("../escape.pt", new byte[] {1})), 422, "not a plain file name");
        assertImportRefused(zip(withChecksums(files, "manifest.json", "null".getBytes(StandardCharsets.UTF_8))), 422, "empty");
        String manifest = new String(files.get("manifest.json"), StandardCharsets.UTF_8);
        assertImportRefused(zip(withChecksums(files, "manifest.json", manifest.replace("\"family\"", "\"familie\"")
                .getBytes(StandardCharsets.UTF_8))), 422, "manifest.json");
        assertImportRefused(zip(withChecksums(files, "manifest.json", manifest.replaceFirst("\"dimension\" ?: ?4", "\"dimension\":999")
                .getBytes(StandardCharsets.UTF_8))), 422, "latent space");
        assertImportRefused(zip(withChecksums(files, ModelArchives.CHECKSUMS, new byte[] {0, (byte) 0xff, 'x'})), 422, "not text");

        // A file part's name is a file name, never a path: nothing is written outside the staging folder.
        Response escape = http.postMultipart("/v1/models/refused/versions", List.of(new Http.Part("file", "../../escape.json",
                "application/json", new byte[] {'{', '}'})), "application/json");
        assertProblem(escape, 422, "invalid-archive");
        assertThat(escape.json().get("detail").asString()).contains("not a plain file name");
        try (var paths = java.nio.file.Files.walk(dataDir)) {
            assertThat(paths.filter(path -> path.getFileName().toString().equals("escape.json")).toList()).isEmpty();
        }
        Response unknownPart = http.postMultipart("/v1/models/refused/versions", List.of(new Http.Part("model", "a.zip",
                "application/zip", zip(files))), "application/json");
        assertProblem(unknownPart, 422, "invalid-archive");
        assertThat(unknownPart.json().get("detail").asString()).contains("[model]");
        assertProblem(http.postMultipart("/v1/models/refused/versions", List.of(new Http.Part("archive", "a.zip", "application/zip",
                zip(files)), new Http.Part("archive", "b.zip", "application/zip", zip(files))), "application/json"), 422,
                "invalid-archive");
        assertImportRefused("plain text".getBytes(StandardCharsets.UTF_8), 422, "not a zip");

        Response both = http.postMultipart("/v1/models/refused/versions", List.of(new Http.Part("archive", "a.zip", "application/zip",
                zip(files)), new Http.Part("file", "encoder.pt", "application/octet-stream", new byte[] {1})), "application/json");
        assertProblem(both, 422, "invalid-archive");
        assertProblem(http.postMultipart("/v1/models/Bad..Name/versions", List.of(new Http.Part("archive", "a.zip",
                "application/zip", zip(files))), "application/json"), 400, "invalid-name");
        assertProblem(http.get("/v1/models/" + MODEL + "/versions/99/archive", "application/zip"), 404, "model-not-found");
        assertProblem(http.get("/v1/models/refused"), 404, "model-not-found");
    }

    /** {@code files} with {@code name} replaced and the checksums made to match, as a careful forger would. */
    private static Map<String, byte[]> withChecksums(Map<String, byte[]> files, String name, byte[] content) {
        Map<String, byte[]> changed = new LinkedHashMap<>(files);
        changed.put(name, content);
        if (!name.equals(ModelArchives.CHECKSUMS)) {
            StringBuilder sums = new StringBuilder();
            changed.forEach((file, bytes) -> {
                if (!file.equals(ModelArchives.CHECKSUMS)) {
                    sums.append(java.util.HexFormat.of().formatHex(ArchiveUnpacker.sha256().digest(bytes))).append("  ").append(file)
                            .append('\n');
                }
            });
            changed.put(ModelArchives.CHECKSUMS, sums.toString().getBytes(StandardCharsets.UTF_8));
        }
        return changed;
    }

    private void assertImportRefused(byte[] archive, int status, String detail) {
        Response refused = http.postMultipart("/v1/models/refused/versions", List.of(new Http.Part("archive", "a.zip", "application/zip",
                archive)), "application/json");
        assertProblem(refused, status, status == 413 ? "archive-too-large" : "invalid-archive");
        assertThat(refused.json().get("detail").asString()).contains(detail);
    }

    private static Map<String, byte[]> unzip(byte[] archive) throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(archive))) {
            for (ZipEntry entry = zip.getNextEntry(); entry != null; entry = zip.getNextEntry()) {
                files.put(entry.getName(), zip.readAllBytes());
            }
        }
        return files;
    }

    private static byte[] zip(Map<String, byte[]> files) throws IOException {
        return ArchiveUnpackerTests.zip(files);
    }

    private JsonNode submitSmallJob(String model, int epochs) throws InterruptedException {
        Response submitted = http.postJson("/v1/jobs", """
                {"type": "train", "model": "%s", "family": "vae", "dataset": "%s", "epochs": %d, "batchSize": 64,
                 "architecture": {"channels": [8], "hiddenDim": 16, "latentDim": 2}}""".formatted(model, trainId, epochs));
        assertThat(submitted.status()).as(submitted.text()).isEqualTo(202);
        return waitForTerminal(submitted.headers().firstValue("Location").orElseThrow(), Duration.ofSeconds(120));
    }
}
