package dev.latentserve.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.latentserve.image.ImageCodec;
import dev.latentserve.image.ImageData;
import dev.latentserve.image.ImageShape;
import dev.latentserve.testing.Http;
import dev.latentserve.testing.Http.Part;
import dev.latentserve.testing.Http.Response;
import dev.latentserve.testing.SyntheticImages;
import dev.latentserve.testing.TestFiles;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.springframework.beans.factory.annotation.Autowired;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * The whole application on a random port with an H2 file database in a temporary data directory: uploads a
 * generated dataset, trains a small VAE through the job API, and drives every endpoint with good and bad input.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ApiIntegrationTests {

    private static final ImageShape SHAPE = new ImageShape(1, 16, 16);
    private static final String MODEL = "blobs";
    private static Path dataDir;

    @LocalServerPort
    int port;

    @Autowired
    DataSource dataSource;

    private Http http;
    private String trainId;
    private ImageData testImages;

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) throws IOException {
        dataDir = Files.createTempDirectory("latentserve-it");
        registry.add("latentserve.storage.root", () -> dataDir.toString());
        registry.add("spring.servlet.multipart.max-file-size", () -> "3MB");
        registry.add("spring.servlet.multipart.max-request-size", () -> "3MB");
        registry.add("latentserve.datasets.fashion-mnist-dir", () -> dataDir.resolve("absent").toString());
    }

    @BeforeAll
    void trainASmallModelThroughTheApi() throws InterruptedException {
        http = new Http(port);
        ImageData train = SyntheticImages.blobs(SHAPE, 512, 1);
        testImages = SyntheticImages.blobs(SHAPE, 64, 2);
        Response uploaded = http.postMultipart("/v1/datasets?name=blobs-train",
                List.of(new Part("file", "train.idx.gz", "application/gzip", TestFiles.gzip(TestFiles.idx(train)))), "application/json");
        assertThat(uploaded.status()).isEqualTo(201);
        assertThat(uploaded.headers().firstValue("Location")).isPresent();
        trainId = uploaded.json().get("id").asString();
        assertThat(uploaded.json().get("count").asInt()).isEqualTo(512);
        Response test = http.postBytes("/v1/datasets?name=blobs-test", "application/octet-stream", TestFiles.idx(testImages));
        assertThat(test.status()).isEqualTo(201);

        Response submitted = http.postJson("/v1/jobs", """
                {"type": "train", "model": "%s", "family": "vae", "dataset": "%s", "testDataset": "%s",
                 "epochs": 3, "batchSize": 32, "learningRate": 0.003, "seed": 5,
                 "architecture": {"channels": [8, 16], "hiddenDim": 64, "latentDim": 4}}"""
                .formatted(MODEL, trainId, test.json().get("id").asString()));
        assertThat(submitted.status()).as(submitted.text()).isEqualTo(202);
        String location = submitted.headers().firstValue("Location").orElseThrow();
        JsonNode job = waitForTerminal(location, Duration.ofSeconds(180));
        assertThat(job.get("state").asString()).as(job.toString()).isEqualTo("SUCCEEDED");
        assertThat(job.get("resultVersion").asInt()).isEqualTo(1);
        assertThat(job.get("progress").get("history")).hasSize(3);
        assertThat(job.get("progress").get("stepsPerEpoch").asInt()).isEqualTo(16);
    }

    String expectedDatabase() {
        return "H2";
    }

    @Test
    void runsOnTheExpectedDatabase() throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            assertThat(connection.getMetaData().getDatabaseProductName()).isEqualTo(expectedDatabase());
        }
    }

    // ---- the shipped model -------------------------------------------------------------------------

    @Test
    void shippedModelSamplesAPngGridAtOnce() throws IOException {
        Response response = http.postJson("/v1/models/fashion-vae/sample", "{\"count\": 16, \"seed\": 1}", "image/png");
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.contentType()).isEqualTo("image/png");
        ImageCodec.Decoded grid = ImageCodec.decode(response.body(), 4096);
        assertThat(grid.shape()).isEqualTo(new ImageShape(1, 4 * 28 + 3 * 2, 4 * 28 + 3 * 2));
        JsonNode manifest = http.get("/v1/models/fashion-vae/versions/1").json();
        assertThat(manifest.get("training").get("dataset").asString()).isEqualTo("fashion-mnist-train");
        assertThat(manifest.get("training").get("epochs").asInt()).isEqualTo(10);
        assertThat(manifest.get("metrics").get("testNegativeElbo").asDouble()).isBetween(200.0, 260.0);
    }

    // ---- sample ------------------------------------------------------------------------------------

    @Test
    void sampleIsDeterministicForASeedAndReturnsLatents() {
        JsonNode first = http.postJson("/v1/models/" + MODEL + "/sample", "{\"count\": 3, \"seed\": 42}").json();
        JsonNode again = http.postJson("/v1/models/" + MODEL + "@1/sample", "{\"count\": 3, \"seed\": 42}").json();
        JsonNode other = http.postJson("/v1/models/" + MODEL + "/sample", "{\"count\": 3, \"seed\": 43}").json();
        assertThat(first.get("model").asString()).isEqualTo(MODEL);
        assertThat(first.get("version").asInt()).isEqualTo(1);
        assertThat(first.get("seed").asLong()).isEqualTo(42);
        assertThat(first.get("images")).hasSize(3);
        assertThat(first.get("latents")).hasSize(3);
        assertThat(first.get("latents").get(0)).hasSize(4);
        assertThat(first.get("images")).isEqualTo(again.get("images"));
        assertThat(first.get("images")).isNotEqualTo(other.get("images"));
        byte[] png = Base64.getDecoder().decode(first.get("images").get(0).get("png").asString());
        assertThat(ImageCodec.decode(png, 64).shape()).isEqualTo(SHAPE);
        JsonNode random = http.postJson("/v1/models/" + MODEL + "/sample", "{}").json();
        assertThat(random.get("images")).hasSize(16);
        assertThat(random.get("seed").isNumber()).isTrue();
    }

    @Test
    void sampleRejectsBadCountsTemperaturesAndModels() {
        assertProblem(http.postJson("/v1/models/" + MODEL + "/sample", "{\"count\": 0}"), 400, "out-of-range");
        assertProblem(http.postJson("/v1/models/" + MODEL + "/sample", "{\"count\": 257}"), 400, "out-of-range");
        assertProblem(http.postJson("/v1/models/" + MODEL + "/sample", "{\"count\": 2, \"temperature\": 0}"), 400, "out-of-range");
        assertProblem(http.postJson("/v1/models/" + MODEL + "/sample", "{\"count\": \"many\"}"), 400, "bad-request");
        assertProblem(http.postJson("/v1/models/nope/sample", "{}"), 404, "model-not-found");
        assertProblem(http.postJson("/v1/models/" + MODEL + "@9/sample", "{}"), 404, "model-not-found");
        assertProblem(http.postJson("/v1/models/" + MODEL + "@x/sample", "{}"), 400, "invalid-name");
        assertProblem(http.postJson("/v1/models/Bad..Name/sample", "{}"), 400, "invalid-name");
        assertProblem(http.postJson("/v1/models/" + MODEL + "/sample", "{\"count\": 0}", "image/png"), 400, "out-of-range");
    }

    // ---- encode ------------------------------------------------------------------------------------

    @Test
    void encodeAcceptsBase64PixelsAndMultipartAlike() {
        byte[] png = TestFiles.png(testImages, 0);
        float[] pixels = new float[SHAPE.size()];
        testImages.copyImage(0, pixels, 0);
        JsonNode fromPng = http.postJson("/v1/models/" + MODEL + "/encode",
                "{\"images\": [\"" + Base64.getEncoder().encodeToString(png) + "\"]}").json();
        JsonNode fromPixels = http.postJson("/v1/models/" + MODEL + "/encode",
                "{\"pixels\": [" + Http.JSON.writeValueAsString(pixels) + "]}").json();
        JsonNode fromMultipart = http.postMultipart("/v1/models/" + MODEL + "/encode",
                List.of(new Part("image", "a.png", "image/png", png), new Part("image", "b.png", "image/png", TestFiles.png(testImages, 1))),
                "application/json").json();
        JsonNode latent = fromPng.get("latents").get(0);
        assertThat(latent.get("mean")).hasSize(4);
        assertThat(latent.get("logVariance")).hasSize(4);
        assertThat(latent.get("z")).isEqualTo(latent.get("mean"));
        assertThat(fromPixels.get("latents").get(0)).isEqualTo(latent);
        assertThat(fromMultipart.get("latents")).hasSize(2);
        // A batch of two may take other kernel paths than a batch of one: equal up to float rounding.
        assertClose(fromMultipart.get("latents").get(0).get("mean"), latent.get("mean"));
        assertClose(fromMultipart.get("latents").get(0).get("logVariance"), latent.get("logVariance"));
        JsonNode sampled = http.postJson("/v1/models/" + MODEL + "/encode",
                "{\"images\": [\"" + Base64.getEncoder().encodeToString(png) + "\"], \"sample\": true, \"seed\": 3}").json();
        assertThat(sampled.get("latents").get(0).get("z")).isNotEqualTo(latent.get("mean"));
    }

    @Test
    void encodeRejectsImagesThatDoNotFit() {
        String path = "/v1/models/" + MODEL + "/encode";
        assertProblem(http.postJson(path, images(TestFiles.png(new ImageShape(1, 28, 28), 0.5f))), 422, "image-shape-mismatch");
        // RGB images are converted to the model's grey; their size must still match.
        assertProblem(http.postJson(path, images(TestFiles.png(new ImageShape(3, 16, 28), 0.5f))), 422, "image-shape-mismatch");
        assertProblem(http.postJson(path, images("not an image at all".getBytes())), 422, "invalid-image");
        assertProblem(http.postJson(path, "{\"images\": [\"%%%not-base64\"]}"), 400, "invalid-base64");
        assertProblem(http.postJson(path, "{\"pixels\": [[0.1, 0.2]]}"), 422, "image-shape-mismatch");
        float[] outOfRange = new float[SHAPE.size()];
        outOfRange[0] = 2f;
        assertProblem(http.postJson(path, "{\"pixels\": [" + Http.JSON.writeValueAsString(outOfRange) + "]}"), 422, "invalid-image");
        assertProblem(http.postJson(path, "{}"), 400, "missing-field");
        assertProblem(http.postMultipart(path, List.of(new Part("image", "x.bin", "image/png", new byte[] {1, 2, 3})),
                "application/json"), 422, "invalid-image");
        List<String> many = new ArrayList<>();
        String one = Base64.getEncoder().encodeToString(TestFiles.png(SHAPE, 0f));
        for (int i = 0; i < 257; i++) {
            many.add(one);
        }
        assertProblem(http.postJson(path, Http.JSON.writeValueAsString(Map.of("images", many))), 400, "out-of-range");
        assertProblem(http.postBytes(path, "text/plain", "hello".getBytes()), 415, "unsupported-media-type");
    }

    // ---- decode ------------------------------------------------------------------------------------

    @Test
    void decodeReturnsJsonWithPixelsOrAPngGrid() {
        String path = "/v1/models/" + MODEL + "/decode";
        JsonNode json = http.postJson(path, "{\"latents\": [[0, 0, 0, 0], [1, -1, 0.5, 0]], \"includePixels\": true}").json();
        assertThat(json.get("images")).hasSize(2);
        assertThat(json.get("images").get(0).get("pixels")).hasSize(SHAPE.size());
        Response png = http.postJson(path, "{\"latents\": [[0, 0, 0, 0], [1, -1, 0.5, 0]]}", "image/png");
        assertThat(png.contentType()).isEqualTo("image/png");
        assertThat(ImageCodec.decode(png.body(), 256).shape()).isEqualTo(new ImageShape(1, 16, 16 * 2 + 2));
        JsonNode plain = http.postJson(path, "{\"latents\": [[0, 0, 0, 0]]}").json();
        assertThat(plain.get("images").get(0).has("pixels")).isFalse();
    }

    @Test
    void decodeRejectsWrongLengthAndNonFiniteLatents() {
        String path = "/v1/models/" + MODEL + "/decode";
        assertProblem(http.postJson(path, "{\"latents\": [[0, 0, 0]]}"), 422, "invalid-latent");
        assertProblem(http.postJson(path, "{\"latents\": [[0, 0, 0, 1e39]]}"), 422, "invalid-latent");
        assertProblem(http.postJson(path, "{\"latents\": [[0, 0, 0, NaN]]}"), 400, "bad-request");
        assertProblem(http.postJson(path, "{\"latents\": []}"), 400, "out-of-range");
        assertProblem(http.postJson(path, "{}"), 400, "missing-field");
        assertProblem(http.postJson(path, "{\"latents\": [[0, 0, 0, 0]"), 400, "bad-request");
    }

    // ---- reconstruct -------------------------------------------------------------------------------

    @Test
    void reconstructReturnsMseAndNegativeElboPerImage() {
        String path = "/v1/models/" + MODEL + "/reconstruct";
        List<String> images = List.of(Base64.getEncoder().encodeToString(TestFiles.png(testImages, 0)),
                Base64.getEncoder().encodeToString(TestFiles.png(testImages, 1)));
        JsonNode json = http.postJson(path, Http.JSON.writeValueAsString(Map.of("images", images))).json();
        assertThat(json.get("reconstructions")).hasSize(2);
        JsonNode first = json.get("reconstructions").get(0);
        assertThat(first.get("mse").asDouble()).isBetween(0.0, 0.05);
        assertThat(first.get("negativeElbo").asDouble()).isPositive();
        Response png = http.postMultipart(path, List.of(new Part("image", "a.png", "image/png", TestFiles.png(testImages, 0))),
                "image/png");
        assertThat(png.status()).isEqualTo(200);
        assertThat(ImageCodec.decode(png.body(), 64).shape()).isEqualTo(SHAPE);
        assertProblem(http.postMultipart(path, List.of(new Part("image", "a.png", "image/png",
                TestFiles.png(new ImageShape(1, 8, 8), 0f))), "application/json"), 422, "image-shape-mismatch");
    }

    // ---- a VQ-VAE through the same endpoints -------------------------------------------------------

    @Test
    void aVqVaeTrainsAndServesCodeGrids() throws InterruptedException {
        Response submitted = http.postJson("/v1/jobs", """
                {"type": "train", "model": "codes", "family": "vqvae", "dataset": "%s", "epochs": 2, "batchSize": 32,
                 "learningRate": 0.002, "architecture": {"hiddenChannels": 16, "residualChannels": 8, "residualBlocks": 1,
                 "codes": 16, "codeDim": 8}}""".formatted(trainId));
        assertThat(submitted.status()).as(submitted.text()).isEqualTo(202);
        JsonNode job = waitForTerminal(submitted.headers().firstValue("Location").orElseThrow(), Duration.ofSeconds(180));
        assertThat(job.get("state").asString()).as(job.toString()).isEqualTo("SUCCEEDED");
        JsonNode manifest = http.get("/v1/models/codes/versions/1").json();
        assertThat(manifest.get("family").asString()).isEqualTo("vqvae");
        assertThat(manifest.get("latent").get("type").asString()).isEqualTo("codes");
        assertThat(manifest.get("metrics").get("testTerms").get("perplexity").asDouble()).isGreaterThan(1.0);

        String image = Base64.getEncoder().encodeToString(TestFiles.png(testImages, 0));
        JsonNode encoded = http.postJson("/v1/models/codes/encode", "{\"images\": [\"" + image + "\"], \"includeVectors\": true}").json();
        JsonNode grid = encoded.get("codes").get(0);
        assertThat(grid).hasSize(4);
        assertThat(grid.get(0)).hasSize(4);
        assertThat(encoded.get("vectors").get(0)).hasSize(8 * 16);
        assertThat(encoded.has("latents")).isFalse();

        JsonNode reconstructed = http.postJson("/v1/models/codes/reconstruct", "{\"images\": [\"" + image + "\"]}").json()
                .get("reconstructions").get(0);
        assertThat(reconstructed.get("codes")).isEqualTo(grid);
        assertThat(reconstructed.has("negativeElbo")).isFalse();
        Response decoded = http.postJson("/v1/models/codes/decode", "{\"codes\": [" + grid + "]}", "image/png");
        assertThat(decoded.status()).isEqualTo(200);
        assertThat(ImageCodec.decode(decoded.body(), 64).shape()).isEqualTo(SHAPE);

        assertProblem(http.postJson("/v1/models/codes/decode", "{\"codes\": [[[0, 99, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]]}"),
                422, "invalid-latent");
        assertProblem(http.postJson("/v1/models/codes/decode", "{\"codes\": [[[0, 1], [1, 0]]]}"), 422, "invalid-latent");
        assertProblem(http.postJson("/v1/models/codes/decode", "{\"latents\": [[0, 0, 0, 0]]}"), 422, "invalid-latent");
        assertProblem(http.postJson("/v1/models/codes/decode", "{\"codes\": [], \"latents\": []}"), 400, "missing-field");
        assertProblem(http.postJson("/v1/models/codes/sample", "{\"count\": 2}"), 409, "no-prior");
        assertProblem(http.postJson("/v1/models/" + MODEL + "/sample", "{\"count\": 2, \"topK\": 5}"), 400, "out-of-range");

        // Fit a prior: a new version that samples.
        assertProblem(http.postJson("/v1/jobs", "{\"type\": \"fit-prior\", \"model\": \"" + MODEL + "@1\", \"dataset\": \""
                + trainId + "\"}"), 422, "invalid-job");
        assertProblem(http.postJson("/v1/jobs", "{\"type\": \"fit-prior\", \"model\": \"codes@7\", \"dataset\": \""
                + trainId + "\"}"), 404, "model-not-found");
        assertProblem(http.postJson("/v1/jobs", "{\"type\": \"fit-prior\", \"model\": \"codes@1\", \"dataset\": \""
                + trainId + "\", \"architecture\": {\"kernel\": 4}}"), 422, "invalid-architecture");
        Response fit = http.postJson("/v1/jobs", """
                {"type": "fit-prior", "model": "codes@1", "dataset": "%s", "epochs": 2, "batchSize": 32, "learningRate": 0.003,
                 "architecture": {"channels": 16, "layers": 3, "hidden": 32}}""".formatted(trainId));
        assertThat(fit.status()).as(fit.text()).isEqualTo(202);
        JsonNode fitted = waitForTerminal(fit.headers().firstValue("Location").orElseThrow(), Duration.ofSeconds(180));
        assertThat(fitted.get("state").asString()).as(fitted.toString()).isEqualTo("SUCCEEDED");
        assertThat(fitted.get("resultVersion").asInt()).isEqualTo(2);
        JsonNode version2 = http.get("/v1/models/codes/versions/2").json();
        assertThat(version2.get("latent").get("prior").asString()).isEqualTo("gated-pixelcnn");
        assertThat(version2.get("metrics").get("prior").get("testTerms").get("bitsPerCode").asDouble()).isBetween(0.0, 4.0);
        JsonNode sampled = http.postJson("/v1/models/codes/sample", "{\"count\": 3, \"seed\": 11, \"topK\": 8}").json();
        assertThat(sampled.get("version").asInt()).isEqualTo(2);
        assertThat(sampled.get("codes")).hasSize(3);
        assertThat(sampled.get("images")).hasSize(3);
        assertThat(http.postJson("/v1/models/codes/sample", "{\"count\": 3, \"seed\": 11, \"topK\": 8}").json().get("codes"))
                .isEqualTo(sampled.get("codes"));
        Response png = http.postJson("/v1/models/codes/sample", "{\"count\": 4, \"seed\": 1}", "image/png");
        assertThat(ImageCodec.decode(png.body(), 256).shape()).isEqualTo(new ImageShape(1, 16 * 2 + 2, 16 * 2 + 2));
        assertProblem(http.postJson("/v1/models/codes@1/sample", "{\"count\": 2}"), 409, "no-prior");
        assertProblem(http.postJson("/v1/models/codes/sample", "{\"count\": 2, \"topK\": 0}"), 400, "out-of-range");

        // Refit the codebook of version 1 by k-means: version 3, without the prior (it was fitted to the old codes).
        assertProblem(http.postJson("/v1/jobs", "{\"type\": \"fit-codebook\", \"model\": \"codes@1\", \"dataset\": \""
                + trainId + "\", \"architecture\": {\"iterations\": 0}}"), 422, "invalid-architecture");
        Response refit = http.postJson("/v1/jobs", """
                {"type": "fit-codebook", "model": "codes@1", "dataset": "%s", "batchSize": 32, "learningRate": 0.001,
                 "architecture": {"iterations": 10, "vectors": 4000, "fineTuneSteps": 10}}""".formatted(trainId));
        assertThat(refit.status()).as(refit.text()).isEqualTo(202);
        JsonNode refitted = waitForTerminal(refit.headers().firstValue("Location").orElseThrow(), Duration.ofSeconds(180));
        assertThat(refitted.get("state").asString()).as(refitted.toString()).isEqualTo("SUCCEEDED");
        JsonNode version3 = http.get("/v1/models/codes/versions/" + refitted.get("resultVersion").asInt()).json();
        JsonNode codebookFit = version3.get("metrics").get("codebookFit");
        assertThat(codebookFit.get("kmeans").get("finalObjective").asDouble())
                .isLessThan(codebookFit.get("kmeans").get("initialObjective").asDouble());
        assertThat(codebookFit.has("mseChange")).isTrue();
        assertThat(version3.get("latent").get("prior").asString()).isEqualTo("none");
        assertProblem(http.postJson("/v1/models/codes/sample", "{\"count\": 2}"), 409, "no-prior");
    }

    // ---- models ------------------------------------------------------------------------------------

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

    // ---- datasets ----------------------------------------------------------------------------------

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

    // ---- jobs --------------------------------------------------------------------------------------

    @Test
    void jobRequestsAreValidatedBeforeAnythingIsQueued() {
        int before = http.get("/v1/jobs").json().size();
        String valid = "{\"type\": \"train\", \"model\": \"m\", \"family\": \"vae\", \"dataset\": \"" + trainId + "\"";
        assertProblem(http.postJson("/v1/jobs", valid.replace(trainId, "no-such") + "}"), 422, "invalid-job");
        assertProblem(http.postJson("/v1/jobs", valid.replace("\"vae\"", "\"gan\"") + "}"), 422, "invalid-job");
        assertProblem(http.postJson("/v1/jobs", valid.replace("\"train\"", "\"paint\"") + "}"), 422, "invalid-job");
        assertProblem(http.postJson("/v1/jobs", valid + ", \"epochs\": 0}"), 400, "bad-request");
        assertProblem(http.postJson("/v1/jobs", valid + ", \"learningRate\": -1}"), 400, "bad-request");
        assertProblem(http.postJson("/v1/jobs", valid + ", \"batchSize\": 1000}"), 422, "invalid-job");
        assertProblem(http.postJson("/v1/jobs", valid + ", \"architecture\": {\"channels\": [4, 4, 4, 4, 4]}}"), 422,
                "invalid-architecture");
        assertProblem(http.postJson("/v1/jobs", valid.replace("\"m\"", "\"../m\"") + "}"), 400, "invalid-name");
        assertProblem(http.postJson("/v1/jobs", "{\"type\": \"train\""), 400, "bad-request");
        assertThat(http.get("/v1/jobs").json()).hasSize(before);
        assertProblem(http.get("/v1/jobs/job-nope"), 404, "job-not-found");
    }

    @Test
    void runningJobIsCancelledWithinSeconds() throws InterruptedException {
        Response submitted = http.postJson("/v1/jobs", """
                {"type": "train", "model": "long", "family": "vae", "dataset": "%s", "epochs": 1000, "batchSize": 8,
                 "architecture": {"channels": [8], "hiddenDim": 16, "latentDim": 2}}""".formatted(trainId));
        String location = submitted.headers().firstValue("Location").orElseThrow();
        waitFor(location, "RUNNING", Duration.ofSeconds(120));
        Response cancel = http.delete(location);
        assertThat(cancel.status()).isEqualTo(202);
        long cancelledAt = System.nanoTime();
        JsonNode job = waitForTerminal(location, Duration.ofSeconds(10));
        assertThat(job.get("state").asString()).isEqualTo("CANCELLED");
        assertThat(Duration.ofNanos(System.nanoTime() - cancelledAt)).isLessThan(Duration.ofSeconds(5));
        assertProblem(http.delete(location), 409, "conflict");
        assertProblem(http.postJson("/v1/models/long/sample", "{}"), 404, "model-not-found");
    }

    @Test
    void aJobWhoseDatasetVanishedFailsOnceWithTheReason() throws InterruptedException {
        Response small = http.postBytes("/v1/datasets?name=vanishing", "application/octet-stream",
                TestFiles.idx(SyntheticImages.blobs(SHAPE, 64, 8)));
        String vanishing = small.json().get("id").asString();
        String blocker = http.postJson("/v1/jobs", """
                {"type": "train", "model": "blocker", "family": "vae", "dataset": "%s", "epochs": 1000, "batchSize": 8,
                 "architecture": {"channels": [8], "hiddenDim": 16, "latentDim": 2}}""".formatted(trainId))
                .headers().firstValue("Location").orElseThrow();
        waitFor(blocker, "RUNNING", Duration.ofSeconds(120));
        String doomed = http.postJson("/v1/jobs", """
                {"type": "train", "model": "doomed", "family": "vae", "dataset": "%s", "epochs": 1, "batchSize": 8,
                 "architecture": {"channels": [8], "hiddenDim": 16, "latentDim": 2}}""".formatted(vanishing))
                .headers().firstValue("Location").orElseThrow();
        assertThat(http.delete("/v1/datasets/" + vanishing).status()).isEqualTo(204);
        assertThat(http.delete(blocker).status()).isEqualTo(202);
        JsonNode job = waitForTerminal(doomed, Duration.ofSeconds(120));
        assertThat(job.get("state").asString()).isEqualTo("FAILED");
        assertThat(job.get("attempts").asInt()).isEqualTo(1);
        assertThat(job.get("error").asString()).contains("no dataset with id '" + vanishing + "'");
    }

    @Test
    void jobEventsStreamUntilTheJobEnds() throws InterruptedException {
        Response submitted = http.postJson("/v1/jobs", """
                {"type": "train", "model": "streamed", "family": "vae", "dataset": "%s", "epochs": 2, "batchSize": 64,
                 "architecture": {"channels": [8], "hiddenDim": 16, "latentDim": 2}}""".formatted(trainId));
        String location = submitted.headers().firstValue("Location").orElseThrow();
        Response stream = http.get(location + "/events", "text/event-stream");
        assertThat(stream.status()).isEqualTo(200);
        assertThat(stream.contentType()).startsWith("text/event-stream");
        String events = stream.text();
        assertThat(events).contains("event:state", "event:epoch", "\"SUCCEEDED\"");
        assertThat(events.indexOf("\"SUCCEEDED\"")).isGreaterThan(events.lastIndexOf("event:epoch"));
        assertThat(events.split("event:epoch", -1)).hasSize(3);
        Response missing = http.get("/v1/jobs/job-nope/events", "text/event-stream");
        assertThat(missing.status()).isEqualTo(404);
    }

    // ---- documentation and operations -------------------------------------------------------------

    @Test
    void openApiSwaggerUiActuatorAndMetricsAreServed() {
        JsonNode api = http.get("/v3/api-docs").json();
        assertThat(api.get("paths").propertyNames()).contains("/v1/models/{model}/sample", "/v1/models/{model}/encode",
                "/v1/models/{model}/decode", "/v1/models/{model}/reconstruct", "/v1/datasets", "/v1/jobs", "/v1/models");
        assertThat(api.get("paths").get("/v1/models/{model}/sample").get("post").get("responses").propertyNames())
                .contains("200", "400", "404", "422");
        assertThat(api.get("components").get("securitySchemes").propertyNames()).contains("apiKey", "bearer");
        assertThat(http.get("/swagger-ui.html").status()).isIn(200, 302);
        assertThat(http.get("/swagger-ui/index.html").status()).isEqualTo(200);
        assertThat(http.get("/actuator/health").json().get("status").asString()).isEqualTo("UP");
        assertThat(http.get("/actuator/info").json().get("engine").get("device").asString()).isEqualTo("cpu()");
        http.postJson("/v1/models/" + MODEL + "/sample", "{\"count\": 2}");
        String prometheus = http.get("/actuator/prometheus").text();
        assertThat(prometheus).contains("latentserve_inference_engine_time_seconds_bucket", "operation=\"sample\"",
                "latentserve_inference_queue_time_seconds_bucket", "latentserve_inference_queue_depth",
                "latentserve_inference_batch_size", "latentserve_inference_batch_requests", "latentserve_training_images_per_second",
                "latentserve_process_resident_memory_bytes");
        // What the provisioned Grafana dashboard (deploy/grafana/dashboards/latentserve.json) queries.
        assertThat(prometheus).contains("http_server_requests_seconds_bucket", "latentserve_inference_batch_size_sum",
                "latentserve_training_loss", "latentserve_training_epoch", "latentserve_training_active", "jvm_memory_used_bytes");
    }

    private Response upload(byte[] bytes) {
        return http.postMultipart("/v1/datasets", List.of(new Part("file", "upload.bin", "application/octet-stream", bytes)),
                "application/json");
    }

    private JsonNode submitSmallJob(String model, int epochs) throws InterruptedException {
        Response submitted = http.postJson("/v1/jobs", """
                {"type": "train", "model": "%s", "family": "vae", "dataset": "%s", "epochs": %d, "batchSize": 64,
                 "architecture": {"channels": [8], "hiddenDim": 16, "latentDim": 2}}""".formatted(model, trainId, epochs));
        assertThat(submitted.status()).as(submitted.text()).isEqualTo(202);
        return waitForTerminal(submitted.headers().firstValue("Location").orElseThrow(), Duration.ofSeconds(120));
    }

    private void waitFor(String location, String state, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!http.get(location).json().get("state").asString().equals(state) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(http.get(location).json().get("state").asString()).isEqualTo(state);
    }

    private JsonNode waitForTerminal(String location, Duration timeout) throws InterruptedException {
        return http.waitForTerminal(location, timeout);
    }

    private static void assertClose(JsonNode actual, JsonNode expected) {
        assertThat(actual).hasSize(expected.size());
        for (int i = 0; i < expected.size(); i++) {
            assertThat(actual.get(i).asDouble()).isCloseTo(expected.get(i).asDouble(), org.assertj.core.api.Assertions.within(1e-5));
        }
    }

    private static String images(byte[] png) {
        return "{\"images\": [\"" + Base64.getEncoder().encodeToString(png) + "\"]}";
    }

    private static void assertProblem(Response response, int status, String type) {
        Http.assertProblem(response, status, type);
    }
}
