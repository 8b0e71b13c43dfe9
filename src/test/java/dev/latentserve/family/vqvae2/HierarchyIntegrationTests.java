package dev.latentserve.family.vqvae2;

import static dev.latentserve.testing.Http.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.latentserve.family.HeldOutScoring;
import dev.latentserve.image.ImageCodec;
import dev.latentserve.image.ImageData;
import dev.latentserve.image.ImageShape;
import dev.latentserve.testing.Http;
import dev.latentserve.testing.Http.Response;
import dev.latentserve.testing.SyntheticImages;
import dev.latentserve.testing.TestFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * A VQ-VAE-2 through the API on generated 28x28 images (padded to 32x32): train, fit both priors, sample at once and
 * as a job, encode to both levels' codes, decode them back, and refuse what does not fit.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HierarchyIntegrationTests {

    private static final ImageShape SHAPE = new ImageShape(1, 28, 28);
    private static final Duration JOB_TIMEOUT = Duration.ofSeconds(240);
    private static Path dataDir;

    @LocalServerPort
    int port;

    private Http http;
    private String trainId;
    private ImageData testImages;

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) throws IOException {
        dataDir = Files.createTempDirectory("latentserve-vqvae2-it");
        registry.add("latentserve.storage.root", () -> dataDir.toString());
        registry.add("latentserve.datasets.fashion-mnist-dir", () -> dataDir.resolve("absent").toString());
        registry.add("latentserve.serving.max-sync-samples", () -> "8");
        registry.add("latentserve.serving.max-temperature", () -> "3");
    }

    @BeforeAll
    void trainAndFitPriorsThroughTheApi() throws Exception {
        http = new Http(port);
        ImageData train = SyntheticImages.blobs(SHAPE, 384, 1);
        testImages = SyntheticImages.blobs(SHAPE, 32, 2);
        Response uploaded = http.postBytes("/v1/datasets?name=blobs28", "application/octet-stream", TestFiles.idx(train));
        assertThat(uploaded.status()).as(uploaded.text()).isEqualTo(201);
        trainId = uploaded.json().get("id").asString();
        JsonNode trained = run("""
                {"type": "train", "model": "hier", "family": "vqvae2", "dataset": "%s", "epochs": 2, "batchSize": 32,
                 "learningRate": 0.002, "architecture": {"hiddenChannels": 16, "residualChannels": 8, "residualBlocks": 1,
                 "topCodes": 8, "topCodeDim": 8, "bottomCodes": 16, "bottomCodeDim": 8}}""".formatted(trainId));
        assertThat(trained.get("resultVersion").asInt()).isEqualTo(1);
        JsonNode fitted = run("""
                {"type": "fit-prior", "model": "hier@1", "dataset": "%s", "epochs": 2, "batchSize": 32, "learningRate": 0.003,
                 "architecture": {"top": {"channels": 8, "layers": 2, "hidden": 16, "attentionEvery": 1, "heads": 2},
                                  "bottom": {"channels": 8, "layers": 2, "hidden": 16, "conditionChannels": 8}}}"""
                .formatted(trainId));
        assertThat(fitted.get("resultVersion").asInt()).isEqualTo(2);
    }

    private JsonNode run(String request) throws InterruptedException {
        Response submitted = http.postJson("/v1/jobs", request);
        assertThat(submitted.status()).as(submitted.text()).isEqualTo(202);
        JsonNode job = http.waitForTerminal(submitted.headers().firstValue("Location").orElseThrow(), JOB_TIMEOUT);
        assertThat(job.get("state").asString()).as(job.toString()).isEqualTo("SUCCEEDED");
        return job;
    }

    @Test
    void manifestsDescribeBothLevelsThePaddingAndThePriors() {
        JsonNode v1 = http.get("/v1/models/hier/versions/1").json();
        assertThat(v1.get("family").asString()).isEqualTo("vqvae2");
        JsonNode latent = v1.get("latent");
        assertThat(latent.get("type").asString()).isEqualTo("code-hierarchy");
        assertThat(latent.get("levels").get("top").get("grid").toString()).isEqualTo("[4,4]");
        assertThat(latent.get("levels").get("bottom").get("grid").toString()).isEqualTo("[8,8]");
        assertThat(latent.get("paddedShape").get("height").asInt()).isEqualTo(32);
        assertThat(latent.get("padding").get("top").asInt()).isEqualTo(2);
        assertThat(latent.get("prior").asString()).isEqualTo("none");
        assertThat(v1.get("metrics").get("testTerms").has("bottomPerplexity")).isTrue();
        // How often each code is the nearest over the test images (the training set here, 384 images): every position
        // of every image counted once per level.
        JsonNode usage = v1.get("metrics").get("codeUsage");
        assertThat(usage.get("top")).hasSize(8);
        assertThat(usage.get("bottom")).hasSize(16);
        assertThat(usage.get("top").valueStream().mapToLong(JsonNode::asLong).sum()).isEqualTo(384L * 4 * 4);
        assertThat(usage.get("bottom").valueStream().mapToLong(JsonNode::asLong).sum()).isEqualTo(384L * 8 * 8);
        JsonNode v2 = http.get("/v1/models/hier/versions/2").json();
        // A prior fit keeps the codes, and so their usage.
        assertThat(v2.get("metrics").get("codeUsage")).isEqualTo(usage);
        assertThat(v2.get("latent").get("prior").asString()).isEqualTo("vqvae2-priors");
        JsonNode prior = v2.get("metrics").get("prior").get("testTerms");
        assertThat(prior.get("topBitsPerCode").asDouble()).isBetween(0.0, 3.0);
        assertThat(prior.get("bottomBitsPerCode").asDouble()).isBetween(0.0, 4.0);
        assertThat(v2.get("architecture").get("prior").get("top").get("attentionEvery").asInt()).isEqualTo(1);
        Response noPrior = http.postJson("/v1/models/hier@1/sample", "{\"count\": 2}");
        assertProblem(noPrior, 409, "no-prior");
        assertThat(noPrior.json().get("detail").asString()).contains("\"model\":\"hier@1\"",
                "\"architecture\":{\"levels\":[\"top\",\"bottom\"]}");
    }

    @Test
    void scoreGivesEachLevelsNegativeLogLikelihoodUnderItsPrior() {
        StringBuilder images = new StringBuilder();
        for (int i = 0; i < testImages.count(); i++) {
            images.append(i == 0 ? "" : ", ").append('"').append(Base64.getEncoder().encodeToString(TestFiles.png(testImages, i)))
                    .append('"');
        }
        String body = "{\"images\": [" + images + "]}";
        Response response = http.postJson("/v1/models/hier/score", body);
        assertThat(response.status()).as(response.text()).isEqualTo(200);
        JsonNode scored = response.json();
        assertThat(scored.get("version").asInt()).isEqualTo(2);
        assertThat(scored.has("k")).isFalse();
        JsonNode reconstructions = http.postJson("/v1/models/hier/reconstruct", body).json().get("reconstructions");
        double topBits = 0;
        double bottomBits = 0;
        for (int i = 0; i < testImages.count(); i++) {
            JsonNode score = scored.get("scores").get(i);
            double top = score.get("negativeLogPrior").get("top").asDouble();
            double bottom = score.get("negativeLogPrior").get("bottom").asDouble();
            assertThat(top).isPositive();
            assertThat(bottom).isPositive();
            assertThat(score.get("negativeLogPriorTotal").asDouble()).isCloseTo(top + bottom, within(1e-3));
            assertThat(score.get("mse").asDouble()).isCloseTo(reconstructions.get(i).get("mse").asDouble(), within(1e-6));
            topBits += top / (16 * Math.log(2)) / testImages.count();
            bottomBits += bottom / (64 * Math.log(2)) / testImages.count();
        }
        // Teacher-forced over held-out images, the priors cost about what their fit measured per code.
        JsonNode prior = http.get("/v1/models/hier/versions/2").json().get("metrics").get("prior").get("testTerms");
        assertThat(topBits).isCloseTo(prior.get("topBitsPerCode").asDouble(), within(0.5));
        assertThat(bottomBits).isCloseTo(prior.get("bottomBitsPerCode").asDouble(), within(0.5));
        assertProblem(http.postJson("/v1/models/hier@1/score", body), 409, "no-prior");
        percentilesAreReadOffTheQuantilesThePriorFitStored(scored);
    }

    /**
     * The prior fit scored its test images (here its dataset's, as no testDataset was given) and stored 101 quantiles of
     * -log p(codes) in total and per level; /score places each image among them.
     */
    private void percentilesAreReadOffTheQuantilesThePriorFitStored(JsonNode scored) {
        JsonNode stored = http.get("/v1/models/hier/versions/2").json().get("metrics").get("testNegativeLogPriorQuantiles");
        assertThat(stored.propertyNames()).containsExactly("total", "top", "bottom");
        stored.forEach(quantiles -> assertThat(quantiles).hasSize(101));
        assertThat(http.get("/v1/models/hier/versions/1").json().get("metrics").has("testNegativeLogPriorQuantiles")).isFalse();
        double meanPercentile = 0;
        for (JsonNode score : scored.get("scores")) {
            assertThat(score.get("percentile").asDouble()).isCloseTo(HeldOutScoring.percentile(numbers(stored.get("total")),
                    score.get("negativeLogPriorTotal").asDouble()), within(1e-9));
            for (String level : List.of("top", "bottom")) {
                assertThat(score.get("levelPercentiles").get(level).asDouble()).isCloseTo(HeldOutScoring.percentile(
                        numbers(stored.get(level)), score.get("negativeLogPrior").get(level).asDouble()), within(1e-9));
            }
            meanPercentile += score.get("percentile").asDouble() / scored.get("scores").size();
        }
        // Images drawn like the test set's sit among its scores, not beyond them.
        assertThat(meanPercentile).isBetween(5.0, 95.0);
    }

    private static List<Double> numbers(JsonNode array) {
        List<Double> values = new ArrayList<>();
        array.forEach(value -> values.add(value.asDouble()));
        return values;
    }

    @Test
    void encodeGivesBothCodeMapsThatDecodeToTheReconstruction() {
        String image = Base64.getEncoder().encodeToString(TestFiles.png(testImages, 0));
        JsonNode encoded = http.postJson("/v1/models/hier/encode", "{\"images\": [\"" + image + "\"]}").json();
        JsonNode codes = encoded.get("codes");
        assertThat(codes.get("top").get(0)).hasSize(4);
        assertThat(codes.get("top").get(0).get(0)).hasSize(4);
        assertThat(codes.get("bottom").get(0)).hasSize(8);
        JsonNode reconstruction = http.postJson("/v1/models/hier/reconstruct", "{\"images\": [\"" + image + "\"]}").json()
                .get("reconstructions").get(0);
        assertThat(reconstruction.get("codes").get("top")).isEqualTo(codes.get("top").get(0));
        assertThat(reconstruction.get("codes").get("bottom")).isEqualTo(codes.get("bottom").get(0));
        JsonNode decoded = http.postJson("/v1/models/hier/decode", "{\"codes\": " + codes + "}").json();
        assertThat(decoded.get("images").get(0).get("png").asString()).isEqualTo(reconstruction.get("png").asString());
        Response png = http.postJson("/v1/models/hier/decode", "{\"codes\": " + codes + "}", "image/png");
        assertThat(ImageCodec.decode(png.body(), 64).shape()).isEqualTo(SHAPE);

        String top = codes.get("top").toString();
        assertProblem(http.postJson("/v1/models/hier/decode", "{\"codes\": " + codes.get("bottom") + "}"), 422, "invalid-latent");
        assertProblem(http.postJson("/v1/models/hier/decode", "{\"codes\": {\"top\": " + top + "}}"), 400, "invalid-codes");
        assertProblem(http.postJson("/v1/models/hier/decode", "{\"codes\": {\"top\": " + top + ", \"bottom\": " + top + "}}"),
                422, "invalid-latent");
        assertProblem(http.postJson("/v1/models/hier/decode", "{\"codes\": {\"top\": [[[0.5]]], \"bottom\": []}}"), 400,
                "invalid-codes");
        assertProblem(http.postJson("/v1/models/hier/decode", "{\"codes\": {\"top\": " + top.replaceFirst("\\d+", "99")
                + ", \"bottom\": " + codes.get("bottom") + "}}"), 422, "invalid-latent");
    }

    @Test
    void interpolationWalksBothLevelsAndAnswersCodesThatDecodeAgain() {
        String a = Base64.getEncoder().encodeToString(TestFiles.png(testImages, 0));
        String b = Base64.getEncoder().encodeToString(TestFiles.png(testImages, 1));
        String images = "\"images\": [\"" + a + "\", \"" + b + "\"]";
        JsonNode path = http.postJson("/v1/models/hier/interpolate", "{" + images + ", \"steps\": 5}").json();
        JsonNode codes = path.get("codes");
        assertThat(codes.get("top")).hasSize(5);
        assertThat(codes.get("bottom")).hasSize(5);
        codes.get("top").forEach(grid -> grid.forEach(row -> row.forEach(code -> assertThat(code.asInt()).isBetween(0, 7))));
        codes.get("bottom").forEach(grid -> grid.forEach(row -> row.forEach(code -> assertThat(code.asInt()).isBetween(0, 15))));
        JsonNode encoded = http.postJson("/v1/models/hier/encode", "{" + images + "}").json().get("codes");
        assertThat(codes.get("top").get(0)).isEqualTo(encoded.get("top").get(0));
        assertThat(codes.get("bottom").get(0)).isEqualTo(encoded.get("bottom").get(0));
        assertThat(codes.get("top").get(4)).isEqualTo(encoded.get("top").get(1));
        assertThat(codes.get("bottom").get(4)).isEqualTo(encoded.get("bottom").get(1));
        JsonNode decoded = http.postJson("/v1/models/hier/decode", "{\"codes\": " + codes + "}").json();
        assertThat(decoded.get("images")).isEqualTo(path.get("images"));

        JsonNode between = http.postJson("/v1/models/hier/interpolate", "{\"codes\": " + encoded + ", \"steps\": 3, "
                + "\"method\": \"slerp\"}").json().get("codes");
        assertThat(between.get("top").get(2)).isEqualTo(encoded.get("top").get(1));
        assertThat(between.get("bottom").get(0)).isEqualTo(encoded.get("bottom").get(0));
        Response strip = http.postJson("/v1/models/hier/interpolate", "{" + images + ", \"steps\": 3}", "image/png");
        assertThat(ImageCodec.decode(strip.body(), 4096).shape()).isEqualTo(new ImageShape(1, 28, 3 * 28 + 2 * 2));
        assertProblem(http.postJson("/v1/models/hier/interpolate", "{\"seeds\": [1, 2]}"), 422, "invalid-latent");
        assertProblem(http.postJson("/v1/models/hier/interpolate", "{\"codes\": {\"top\": " + encoded.get("top")
                + ", \"bottom\": " + encoded.get("top") + "}}"), 422, "invalid-latent");
    }

    @Test
    void completionKeepsEachLevelsCodesOverTheKnownRowsAndDrawsTheRest() {
        String image = Base64.getEncoder().encodeToString(TestFiles.png(testImages, 0));
        JsonNode own = http.postJson("/v1/models/hier/encode", "{\"images\": [\"" + image + "\"]}").json().get("codes");
        String request = "{\"images\": [\"" + image + "\"], \"knownRows\": 14, \"count\": 3, \"seed\": 4, "
                + "\"temperatures\": {\"bottom\": 0.9}}";
        JsonNode completed = http.postJson("/v1/models/hier/complete", request).json();
        assertThat(completed.get("version").asInt()).isEqualTo(2);
        // Padded by 2 rows: top codes 0-1 cover image rows -2..13, bottom codes 0-3 the same rows.
        assertThat(completed.get("kept").get("top").toString()).isEqualTo("[[1,1,1,1],[1,1,1,1],[0,0,0,0],[0,0,0,0]]");
        assertThat(completed.get("kept").get("bottom").get(3).toString()).isEqualTo("[1,1,1,1,1,1,1,1]");
        assertThat(completed.get("kept").get("bottom").get(4).toString()).isEqualTo("[0,0,0,0,0,0,0,0]");
        for (int i = 0; i < 3; i++) {
            assertThat(completed.get("codes").get("top").get(i).get(1)).isEqualTo(own.get("top").get(0).get(1));
            assertThat(completed.get("codes").get("bottom").get(i).get(3)).isEqualTo(own.get("bottom").get(0).get(3));
        }
        JsonNode decoded = http.postJson("/v1/models/hier/decode", "{\"codes\": " + completed.get("codes") + "}").json();
        assertThat(decoded.get("images").get(1).get("png").asString()).isEqualTo(completed.get("images").get(1).get("png").asString());
        Response strip = http.postJson("/v1/models/hier/complete", request, "image/png");
        assertThat(ImageCodec.decode(strip.body(), 256).shape()).isEqualTo(new ImageShape(1, 28, 4 * 28 + 3 * 2));
        assertProblem(http.postJson("/v1/models/hier@1/complete", request), 409, "no-prior");
    }

    @Test
    void samplingIsDeterministicPerSeedAndTakesATemperaturePerLevel() {
        JsonNode first = http.postJson("/v1/models/hier/sample", "{\"count\": 3, \"seed\": 11, \"topK\": 4}").json();
        assertThat(first.get("version").asInt()).isEqualTo(2);
        assertThat(first.get("images")).hasSize(3);
        assertThat(first.get("codes").get("top")).hasSize(3);
        assertThat(first.get("codes").get("bottom").get(0)).hasSize(8);
        assertThat(http.postJson("/v1/models/hier/sample", "{\"count\": 3, \"seed\": 11, \"topK\": 4}").json().get("codes"))
                .isEqualTo(first.get("codes"));
        JsonNode cold = http.postJson("/v1/models/hier/sample", "{\"count\": 3, \"seed\": 11, \"temperatures\": {\"top\": 0.05}}")
                .json();
        assertThat(cold.get("codes").get("top")).isNotEqualTo(first.get("codes").get("top"));
        JsonNode decoded = http.postJson("/v1/models/hier/decode", "{\"codes\": " + first.get("codes") + "}").json();
        assertThat(decoded.get("images").get(0).get("png").asString()).isEqualTo(first.get("images").get(0).get("png").asString());
        assertProblem(http.postJson("/v1/models/hier/sample", "{\"count\": 2, \"temperatures\": {\"middle\": 1.0}}"), 400,
                "out-of-range");
        assertProblem(http.postJson("/v1/models/hier/sample", "{\"count\": 2, \"temperatures\": {\"top\": 0}}"), 400, "out-of-range");
        // More than a sample job draws: said in /sample's own words, not the job's.
        Response tooMany = http.postJson("/v1/models/hier/sample", "{\"count\": 10001}");
        assertProblem(tooMany, 400, "out-of-range");
        assertThat(tooMany.json().get("detail").asString()).startsWith("count must be between 1 and 10000").doesNotContain("sample.count");
    }

    @Test
    void aSampleJobsEventsCarryPreviewsOfTheChunkBeingDrawn() throws Exception {
        // 32 chunks of 64 (seconds here): long enough that the event stream, polled every 500 ms, sees chunks being drawn.
        Response queued = http.postJson("/v1/jobs", "{\"type\": \"sample\", \"model\": \"hier\", \"seed\": 9, "
                + "\"sample\": {\"count\": 2048, \"previewEvery\": 2}}");
        assertThat(queued.status()).as(queued.text()).isEqualTo(202);
        assertThat(queued.json().get("request").get("sample").get("previewEvery").asInt()).isEqualTo(2);
        String location = queued.headers().firstValue("Location").orElseThrow();
        // The stream ends with the job, so its whole text is every event it sent.
        String events = http.get(location + "/events", "text/event-stream").text();
        List<JsonNode> previews = new ArrayList<>();
        String[] lines = events.split("\n");
        for (int i = 0; i + 1 < lines.length; i++) {
            if (lines[i].equals("event:preview")) {
                previews.add(Http.JSON.readTree(lines[i + 1].substring("data:".length())));
            }
        }
        assertThat(previews).as(events).isNotEmpty();
        for (JsonNode preview : previews) {
            // A VQ-VAE-2 previews its bottom level (8 rows of codes here) once its top level is drawn; the last row is
            // the finished chunk, not a preview.
            assertThat(preview.get("level").asString()).isEqualTo("bottom");
            assertThat(preview.get("rows").asInt()).isIn(2, 4, 6);
            assertThat(preview.get("chunks").asInt()).isEqualTo(32);
            ImageCodec.Decoded grid = ImageCodec.decode(Base64.getDecoder().decode(preview.get("png").asString()), 1024);
            // The chunk's 64 samples: 8 columns and 8 rows with 2-pixel gaps.
            assertThat(grid.shape()).isEqualTo(new ImageShape(1, 8 * 28 + 7 * 2, 8 * 28 + 7 * 2));
        }
        assertThat(http.waitForTerminal(location, JOB_TIMEOUT).get("state").asString()).isEqualTo("SUCCEEDED");
        assertProblem(http.postJson("/v1/jobs", "{\"type\": \"sample\", \"model\": \"hier\", \"sample\": {\"count\": 5, "
                + "\"previewEvery\": -1}}"), 400, "bad-request");
        // A /sample large enough to become a job keeps its previewEvery for the job's events.
        Response handedOver = http.postJson("/v1/models/hier/sample", "{\"count\": 9, \"seed\": 4, \"previewEvery\": 2}");
        assertThat(handedOver.status()).as(handedOver.text()).isEqualTo(202);
        assertThat(handedOver.json().get("request").get("sample").get("previewEvery").asInt()).isEqualTo(2);
        assertThat(http.waitForTerminal(handedOver.headers().firstValue("Location").orElseThrow(), JOB_TIMEOUT).get("state")
                .asString()).isEqualTo("SUCCEEDED");
    }

    @Test
    void aLargeSampleRequestBecomesAJobWhoseResultDownloads() throws Exception {
        // Asked for a PNG, answered with the job as JSON: the PNG comes later, from the job's result.
        Response queued = http.postJson("/v1/models/hier/sample", "{\"count\": 70, \"seed\": 3, \"temperatures\": {\"bottom\": 0.9}}",
                "image/png");
        assertThat(queued.status()).as(queued.text()).isEqualTo(202);
        assertThat(queued.contentType()).startsWith("application/json");
        assertThat(queued.json().get("type").asString()).isEqualTo("sample");
        assertThat(queued.json().get("request").get("sample").get("count").asInt()).isEqualTo(70);
        String location = queued.headers().firstValue("Location").orElseThrow();
        JsonNode job = http.waitForTerminal(location, JOB_TIMEOUT);
        assertThat(job.get("state").asString()).as(job.toString()).isEqualTo("SUCCEEDED");
        assertThat(job.get("result").asString()).isEqualTo(location + "/result");
        // Steps are code positions: two chunks (64 + 6 samples), each drawing 4x4 top and 8x8 bottom positions.
        assertThat(job.get("progress").get("unit").asString()).isEqualTo("positions");
        assertThat(job.get("progress").get("stepsPerEpoch").asInt()).isEqualTo(2 * (16 + 64));
        Response png = http.get(location + "/result", "image/png");
        assertThat(png.contentType()).isEqualTo("image/png");
        // 70 samples: 9 columns and 8 rows with 2-pixel gaps.
        assertThat(ImageCodec.decode(png.body(), 1024).shape()).isEqualTo(new ImageShape(1, 8 * 28 + 7 * 2, 9 * 28 + 8 * 2));
        assertThat(http.get(location + "/result", "image/*;q=0.9, */*;q=0.1").contentType()).isEqualTo("image/png");
        assertThat(http.get(location + "/result", "*/*").contentType()).startsWith("application/json");
        assertProblem(http.get(location + "/result", "text/html"), 406, "not-acceptable");
        // Invalid sampling settings are refused before anything is queued, not retried as failures.
        assertProblem(http.postJson("/v1/jobs", "{\"type\": \"sample\", \"model\": \"hier\", \"sample\": {\"count\": 0}}"), 400,
                "bad-request");
        assertProblem(http.postJson("/v1/jobs", "{\"type\": \"sample\", \"model\": \"hier\", \"sample\": {\"count\": 5, "
                + "\"topK\": 0}}"), 400, "bad-request");
        JsonNode codes = http.get(location + "/result", "application/json").json();
        assertThat(codes.get("version").asInt()).isEqualTo(2);
        // The codes in the one form of a code hierarchy, as /sample answers and /decode takes: a list of grids per level.
        assertThat(codes.get("codes").get("top")).hasSize(70);
        assertThat(codes.get("codes").get("bottom").get(69)).hasSize(8);
        assertThat(codes.get("samplesPerSecond").asDouble()).isPositive();

        // A job of one chunk draws what /sample draws for the same seed.
        JsonNode small = run("{\"type\": \"sample\", \"model\": \"hier\", \"seed\": 5, \"sample\": {\"count\": 4}}");
        JsonNode direct = http.postJson("/v1/models/hier/sample", "{\"count\": 4, \"seed\": 5}").json();
        JsonNode fromJob = http.get("/v1/jobs/" + small.get("id").asString() + "/result").json().get("codes");
        assertThat(fromJob).isEqualTo(direct.get("codes"));
        // ... and can be sent to /decode as it is.
        JsonNode decoded = http.postJson("/v1/models/hier/decode", "{\"codes\": " + fromJob + "}").json();
        assertThat(decoded.get("images").get(3).get("png").asString()).isEqualTo(direct.get("images").get(3).get("png").asString());

        assertProblem(http.get("/v1/jobs/job-000000000000/result"), 404, "job-not-found");
        String trainJob = http.get("/v1/jobs?limit=1000").json().valueStream()
                .filter(j -> j.get("type").asString().equals("train")).findFirst().orElseThrow().get("id").asString();
        assertProblem(http.get("/v1/jobs/" + trainJob + "/result"), 409, "conflict");
        assertProblem(http.postJson("/v1/jobs", "{\"type\": \"sample\", \"model\": \"hier@1\"}"), 422, "invalid-job");
        assertProblem(http.postJson("/v1/jobs", "{\"type\": \"sample\", \"model\": \"hier\", \"sample\": {\"count\": 1000000}}"),
                422, "invalid-job");
        assertProblem(http.postJson("/v1/jobs", "{\"type\": \"sample\", \"model\": \"hier\", \"sample\": {\"temperatures\": "
                + "{\"middle\": 1}}}"), 422, "invalid-job");
        // The configured temperature bound (3 here) holds for sample jobs as for /sample, which hands large requests to them.
        assertProblem(http.postJson("/v1/jobs", "{\"type\": \"sample\", \"model\": \"hier\", \"sample\": {\"temperature\": 5}}"),
                422, "invalid-job");
        assertProblem(http.postJson("/v1/jobs", "{\"type\": \"sample\", \"model\": \"hier\", \"sample\": {\"temperatures\": "
                + "{\"top\": 3.5}}}"), 422, "invalid-job");
        assertProblem(http.postJson("/v1/models/hier/sample", "{\"count\": 70, \"temperature\": 5}"), 400, "out-of-range");
        run("{\"type\": \"sample\", \"model\": \"hier\", \"sample\": {\"count\": 1, \"temperature\": 2.5}}");
        assertProblem(http.postJson("/v1/jobs", "{\"type\": \"train\", \"model\": \"x\", \"family\": \"vqvae2\"}"), 422,
                "invalid-job");
    }
}
