package dev.latentserve.datasets;

import static org.assertj.core.api.Assertions.assertThat;

import dev.latentserve.image.ImageShape;
import dev.latentserve.testing.ApiIntegrationSupport;
import dev.latentserve.testing.Http.Part;
import dev.latentserve.testing.Http.Response;
import dev.latentserve.testing.SyntheticImages;
import dev.latentserve.testing.TestFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code /v1/datasets} through the whole application: uploads checked, nothing half-written left behind. */
class DatasetApiIntegrationTests extends ApiIntegrationSupport {

    @Test
    void datasetUploadsAreValidatedAndNothingHalfWrittenRemains() throws IOException {
        int before = http.get("/v1/datasets").json().size();
        byte[] idx = TestFiles.idx(SyntheticImages.blobs(SHAPE, 4, 9));
        assertProblem(upload(java.util.Arrays.copyOf(idx, idx.length - 3)), 422, "invalid-dataset");
        assertProblem(upload(new byte[] {0, 0, 8, 1, 0, 0, 0, 1, 3}), 422, "invalid-dataset");
        assertProblem(upload("just text".getBytes()), 415, "unsupported-dataset-format");
        assertProblem(upload(TestFiles.zip(Map.of("../x.png", TestFiles.png(SHAPE, 0f)))), 422, "invalid-dataset");
        assertProblem(upload(TestFiles.zip(Map.of("a.png", TestFiles.png(SHAPE, 0f), "b.png",
                TestFiles.png(new ImageShape(1, 4, 4), 0f)))), 422, "invalid-dataset");
        assertProblem(upload(new byte[4 * 1024 * 1024]), 413, "content-too-large");
        assertThat(http.get("/v1/datasets").json()).hasSize(before);
        try (var files = Files.walk(dataDir.resolve("datasets"))) {
            assertThat(files.filter(p -> p.toString().contains(".staging") && Files.isRegularFile(p)).toList()).isEmpty();
        }

        Response zip = upload(TestFiles.zip(Map.of("a.png", TestFiles.png(SHAPE, 0f), "b.png", TestFiles.png(SHAPE, 1f))));
        assertThat(zip.status()).isEqualTo(201);
        String id = zip.json().get("id").asString();
        assertThat(http.get("/v1/datasets/" + id).json().get("count").asInt()).isEqualTo(2);
        assertThat(http.delete("/v1/datasets/" + id).status()).isEqualTo(204);
        assertProblem(http.get("/v1/datasets/" + id), 404, "dataset-not-found");
        assertProblem(http.delete("/v1/datasets/" + id), 404, "dataset-not-found");
        assertProblem(http.postJson("/v1/datasets/fashion-mnist", ""), 409, "fashion-mnist-unavailable");
    }

    @Test
    void aDatasetIsUsedByTheNameItWasUploadedUnder() throws InterruptedException {
        byte[] idx = TestFiles.idx(SyntheticImages.blobs(SHAPE, 8, 3));
        Response named = http.postBytes("/v1/datasets?name=named-train", "application/octet-stream", idx);
        assertThat(named.status()).as(named.text()).isEqualTo(201);
        String id = named.json().get("id").asString();
        assertThat(http.get("/v1/datasets/named-train").json().get("id").asString()).isEqualTo(id);
        assertProblem(http.postBytes("/v1/datasets?name=named-train", "application/octet-stream", idx), 409, "conflict");
        // A job takes the name; it stores the id the name stood for when the job was accepted.
        Response job = http.postJson("/v1/jobs", "{\"type\": \"train\", \"model\": \"by-name\", \"family\": \"vae\", "
                + "\"dataset\": \"named-train\", \"epochs\": 1, \"batchSize\": 8, \"architecture\": {\"channels\": [8, 16], "
                + "\"hiddenDim\": 16, \"latentDim\": 2}}");
        assertThat(job.status()).as(job.text()).isEqualTo(202);
        assertThat(job.json().get("request").get("dataset").asString()).isEqualTo(id);
        assertThat(job.json().get("request").get("testDataset").asString()).isEqualTo(id);
        http.waitForTerminal("/v1/jobs/" + job.json().get("id").asString(), java.time.Duration.ofMinutes(3));
    }

    private Response upload(byte[] bytes) {
        return http.postMultipart("/v1/datasets", List.of(new Part("file", "upload.bin", "application/octet-stream", bytes)),
                "application/json");
    }
}
