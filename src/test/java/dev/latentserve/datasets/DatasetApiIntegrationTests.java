package dev.latentserve.datasets;

import static org.assertj.core.api.Assertions.assertThat;

import dev.latentserve.image.ImageData;
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

    @Test
    void aDatasetsImagesAreShownAsPngByNameAndById() throws IOException {
        ImageData images = SyntheticImages.blobs(SHAPE, 12, 4);
        Response uploaded = http.postBytes("/v1/datasets?name=look-at-me", "application/octet-stream", TestFiles.idx(images));
        assertThat(uploaded.status()).as(uploaded.text()).isEqualTo(201);
        String id = uploaded.json().get("id").asString();

        Response byName = http.get("/v1/datasets/look-at-me/images/3");
        assertThat(byName.status()).as(byName.text()).isEqualTo(200);
        assertThat(byName.contentType()).isEqualTo("image/png");
        assertThat(byName.headers().firstValue("X-Total-Count")).hasValue("12");
        DatasetImagesTests.Png image = DatasetImagesTests.Png.of(byName.body());
        assertThat(image.size()).isEqualTo(SHAPE.toString());
        int[] stored = new int[SHAPE.size()];
        for (int i = 0; i < stored.length; i++) {
            stored[i] = images.uint8()[3 * SHAPE.size() + i] & 0xFF;
        }
        assertThat(image.chw()).isEqualTo(stored);
        assertThat(http.get("/v1/datasets/" + id + "/images/3").body()).isEqualTo(byName.body());

        // 7 images in 3 columns of 16x16 with 2-pixel gaps: 3 rows, 3 * 16 + 2 * 2 = 52 pixels each way.
        Response grid = http.get("/v1/datasets/" + id + "/images?from=2&count=7&columns=3");
        assertThat(grid.status()).as(grid.text()).isEqualTo(200);
        assertThat(grid.contentType()).isEqualTo("image/png");
        assertThat(DatasetImagesTests.Png.of(grid.body()).size()).isEqualTo("1x52x52");
        // By default 64 from the first: the 12 there are, in ceil(sqrt(12)) = 4 columns and 3 rows.
        assertThat(DatasetImagesTests.Png.of(http.get("/v1/datasets/look-at-me/images").body()).size()).isEqualTo("1x52x70");

        for (String query : List.of("count=0", "count=257", "count=-1", "columns=0", "columns=257", "from=-1", "count=x")) {
            assertProblem(http.get("/v1/datasets/look-at-me/images?" + query), 400, "bad-request");
        }
        assertProblem(http.get("/v1/datasets/look-at-me/images/x"), 400, "bad-request");
        Response pastTheEnd = http.get("/v1/datasets/look-at-me/images/12", "image/png");
        assertProblem(pastTheEnd, 404, "dataset-image-not-found");
        assertThat(pastTheEnd.json().get("detail").asString()).contains("holds 12 images");
        assertProblem(http.get("/v1/datasets/look-at-me/images?from=12"), 404, "dataset-image-not-found");
        assertProblem(http.get("/v1/datasets/no-such-set/images/0"), 404, "dataset-not-found");
        assertProblem(http.get("/v1/datasets/no-such-set/images"), 404, "dataset-not-found");
        assertThat(http.delete("/v1/datasets/" + id).status()).isEqualTo(204);
        assertProblem(http.get("/v1/datasets/look-at-me/images/0"), 404, "dataset-not-found");
    }

    private Response upload(byte[] bytes) {
        return http.postMultipart("/v1/datasets", List.of(new Part("file", "upload.bin", "application/octet-stream", bytes)),
                "application/json");
    }
}
