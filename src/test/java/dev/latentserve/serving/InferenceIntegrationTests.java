package dev.latentserve.serving;

import static org.assertj.core.api.Assertions.assertThat;

import dev.latentserve.image.ImageCodec;
import dev.latentserve.image.ImageShape;
import dev.latentserve.testing.ApiIntegrationSupport;
import dev.latentserve.testing.Http;
import dev.latentserve.testing.Http.Part;
import dev.latentserve.testing.Http.Response;
import dev.latentserve.testing.TestFiles;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The four inference operations through the whole application: the shipped model, the trained VAE with good and bad
 * input, and a VQ-VAE trained, given a prior and a refitted codebook through the job API.
 */
class InferenceIntegrationTests extends ApiIntegrationSupport {

    /** /v1 JSON endpoints refuse a multipart Content-Type, boundary or not, as a type they do not take; 405 names the methods. */
    @Test
    void v1JsonEndpointsRefuseMultipartAndSayWhichMethodsTheyTake() {
        Response multipart = http.send(HttpRequest.newBuilder(http.uri("/v1/models/fashion-vae" + "/sample"))
                .header("Content-Type", "multipart/form-data").POST(HttpRequest.BodyPublishers.ofString("{\"count\": 1}")));
        Http.assertProblem(multipart, 415, "unsupported-media-type");
        assertThat(multipart.json().get("detail").asString()).isEqualTo("this endpoint does not take Content-Type "
                + "multipart/form-data; it takes application/json");
        Response get = http.get("/v1/models/fashion-vae" + "/sample");
        Http.assertProblem(get, 405, "method-not-allowed");
        assertThat(get.json().get("detail").asString()).isEqualTo("/v1/models/fashion-vae" + "/sample takes POST, not GET");
        assertThat(get.headers().firstValue("Allow")).hasValue("POST");
    }

    /** A malformed Content-Type or Accept is said in plain words, not Spring's or Java's parser messages. */
    @Test
    void malformedContentTypeAndAcceptAreSaidInPlainWords() {
        Response charset = http.send(HttpRequest.newBuilder(http.uri("/v1/models/fashion-vae/sample"))
                .header("Content-Type", "application/json; charset=nope").POST(HttpRequest.BodyPublishers.ofString("{\"count\": 1}")));
        Http.assertProblem(charset, 415, "unsupported-media-type");
        assertThat(charset.json().get("detail").asString()).isEqualTo("the Content-Type 'application/json; charset=nope' is "
                + "malformed (it names an unknown charset 'nope'); it takes application/json");
        Response quality = http.postJson("/v1/models/fashion-vae/sample", "{\"count\": 1}", "*/*;q=abc");
        Http.assertProblem(quality, 400, "invalid-accept-header");
        assertThat(quality.json().get("detail").asString()).startsWith("the Accept header '*/*;q=abc' is not a list of media "
                + "ranges (it has a q value that is not a number; q is a number from 0 to 1)").doesNotContain("For input string");
    }

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
        // A 415 says what the endpoint takes: each of its mappings' types.
        Response text = http.postBytes(path, "text/plain", "hello".getBytes());
        assertProblem(text, 415, "unsupported-media-type");
        assertThat(text.json().get("detail").asString()).startsWith("this endpoint does not take Content-Type text/plain; it takes ")
                .contains("application/json", "multipart/form-data", "application/x-npy");
        Response unparsed = http.postBytes(path, "json", "{}".getBytes());
        assertProblem(unparsed, 415, "unsupported-media-type");
        assertThat(unparsed.json().get("detail").asString()).startsWith("the Content-Type 'json' is malformed (")
                .contains("; it takes ", "application/json");
    }

    @Test
    void anUnknownOperationNamesThePathAndTheOperationsAModelHas() {
        Response unknown = http.postJson("/v1/models/" + MODEL + "/frobnicate", "{}");
        assertProblem(unknown, 404, "not-found");
        assertThat(unknown.json().get("detail").asString()).isEqualTo("no endpoint at POST /v1/models/" + MODEL + "/frobnicate; "
                + "the endpoints beside it are POST complete, decode, encode, interpolate, reconstruct, sample, score, versions; "
                + "every path is listed at /swagger-ui.html");
        assertThat(unknown.json().get("instance").asString()).isEqualTo("/v1/models/" + MODEL + "/frobnicate");
        Response nowhere = http.get("/v1/nothing/here");
        assertProblem(nowhere, 404, "not-found");
        assertThat(nowhere.json().get("detail").asString()).isEqualTo("no endpoint at GET /v1/nothing/here; every path is listed "
                + "at /swagger-ui.html");
    }

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
    void whatSampleAndEncodeAnswerDecodesAsItIs() {
        String path = "/v1/models/" + MODEL + "/decode";
        JsonNode sampled = http.postJson("/v1/models/" + MODEL + "/sample", "{\"count\": 2, \"seed\": 4, \"includePixels\": true}")
                .json();
        JsonNode fromSample = http.postJson(path, "{\"latents\": " + sampled.get("latents") + ", \"includePixels\": true}").json();
        for (int i = 0; i < 2; i++) {
            // The same z through the decoder: equal up to float rounding of a differently batched engine call.
            JsonNode expected = sampled.get("images").get(i).get("pixels");
            JsonNode actual = fromSample.get("images").get(i).get("pixels");
            for (int p = 0; p < SHAPE.size(); p++) {
                assertThat(actual.get(p).asDouble()).isCloseTo(expected.get(p).asDouble(), org.assertj.core.data.Offset.offset(1e-5));
            }
        }
        // /encode answers posteriors ({mean, logVariance, z}); /decode takes them back and decodes their z.
        JsonNode encoded = http.postJson("/v1/models/" + MODEL + "/encode",
                "{\"pixels\": [" + java.util.Arrays.toString(new float[SHAPE.size()]) + "], \"sample\": true, \"seed\": 1}").json();
        JsonNode fromPosterior = http.postJson(path, "{\"latents\": " + encoded.get("latents") + "}").json();
        JsonNode fromZ = http.postJson(path, "{\"latents\": [" + encoded.get("latents").get(0).get("z") + "]}").json();
        assertThat(fromPosterior.get("images")).isEqualTo(fromZ.get("images"));
        assertProblem(http.postJson(path, "{\"latents\": [{\"mean\": [0, 0, 0, 0]}]}"), 422, "invalid-latent");
        assertProblem(http.postJson(path, "{\"latents\": [null]}"), 422, "invalid-latent");
        // More than one request takes is refused with the way out: slices.
        String many = "[" + String.join(",", java.util.Collections.nCopies(257, "[0, 0, 0, 0]")) + "]";
        Response tooMany = http.postJson(path, "{\"latents\": " + many + "}");
        assertProblem(tooMany, 400, "out-of-range");
        assertThat(tooMany.json().get("detail").asString()).contains("slices of at most 256");
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
        Response noPrior = http.postJson("/v1/models/codes/sample", "{\"count\": 2}");
        assertProblem(noPrior, 409, "no-prior");
        // The answer is the job to send, with this version and the datasets it was trained on: no placeholders.
        assertThat(noPrior.json().get("detail").asString()).contains("POST /v1/jobs {\"type\":\"fit-prior\",\"model\":\"codes@1\"")
                .doesNotContain("<");
        assertProblem(http.postJson("/v1/models/" + MODEL + "/sample", "{\"count\": 2, \"topK\": 5}"), 400, "out-of-range");
        Response tooMany = http.postJson("/v1/models/" + MODEL + "/sample", "{\"count\": 1000}");
        assertProblem(tooMany, 400, "out-of-range");
        assertThat(tooMany.json().get("detail").asString()).contains("between 1 and 256", "as a sample job");

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
        // Score: -log p(codes) under the prior and the reconstruction error; version 1 has no prior to score with.
        String twoImages = "{\"images\": [\"" + Base64.getEncoder().encodeToString(TestFiles.png(testImages, 0)) + "\", \""
                + Base64.getEncoder().encodeToString(TestFiles.png(testImages, 1)) + "\"]}";
        JsonNode codeScores = http.postJson("/v1/models/codes@2/score", twoImages).json();
        assertThat(codeScores.get("scores")).hasSize(2);
        JsonNode codeScore = codeScores.get("scores").get(0);
        assertThat(codeScore.get("negativeLogPrior").get("codes").asDouble()).isPositive()
                .isEqualTo(codeScore.get("negativeLogPriorTotal").asDouble());
        assertThat(codeScore.get("mse").asDouble()).isCloseTo(http.postJson("/v1/models/codes@2/reconstruct", twoImages).json()
                .get("reconstructions").get(0).get("mse").asDouble(), org.assertj.core.api.Assertions.within(1e-6));
        assertProblem(http.postJson("/v1/models/codes@1/score", twoImages), 409, "no-prior");
        // The fit scored its test images (its dataset's, no testDataset given): one level, whose percentile is the total's.
        JsonNode codeQuantiles = version2.get("metrics").get("testNegativeLogPriorQuantiles");
        assertThat(codeQuantiles.get("total")).hasSize(101).isEqualTo(codeQuantiles.get("codes"));
        assertThat(codeScore.get("percentile").asDouble()).isBetween(0.0, 100.0)
                .isEqualTo(codeScore.get("levelPercentiles").get("codes").asDouble());
        assertThat(http.get("/v1/models/codes/versions/1").json().get("metrics").has("testNegativeLogPriorQuantiles")).isFalse();
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
        // The refitted version cannot sample; a bare name samples with the newest version that can, and says which.
        assertProblem(http.postJson("/v1/models/codes@" + version3.get("version").asInt() + "/sample", "{\"count\": 2}"), 409,
                "no-prior");
        JsonNode byName = http.postJson("/v1/models/codes/sample", "{\"count\": 3, \"seed\": 11, \"topK\": 8}").json();
        assertThat(byName.get("version").asInt()).isEqualTo(2);
        assertThat(byName.get("codes")).isEqualTo(sampled.get("codes"));
        assertThat(http.postJson("/v1/models/codes/encode", "{\"images\": [\"" + Base64.getEncoder().encodeToString(
                TestFiles.png(testImages, 0)) + "\"]}").json().get("version").asInt()).as("other operations use the newest")
                .isEqualTo(version3.get("version").asInt());
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
}
