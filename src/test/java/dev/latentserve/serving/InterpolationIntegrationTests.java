package dev.latentserve.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.latentserve.image.ImageCodec;
import dev.latentserve.image.ImageShape;
import dev.latentserve.testing.ApiIntegrationSupport;
import dev.latentserve.testing.Http.Part;
import dev.latentserve.testing.Http.Response;
import dev.latentserve.testing.TestFiles;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** {@code /interpolate} through the whole application: the trained VAE, a VQ-VAE trained here, and every refusal. */
class InterpolationIntegrationTests extends ApiIntegrationSupport {

    private static final String PATH = "/v1/models/" + MODEL + "/interpolate";

    @Test
    void aVaeWalksBetweenThePosteriorMeansOfTwoImagesAndEachStepDecodesAgain() {
        JsonNode path = http.postJson(PATH, "{\"images\": [\"" + base64(0) + "\", \"" + base64(1) + "\"], \"steps\": 5, "
                + "\"includePixels\": true}").json();
        assertThat(path.get("model").asString()).isEqualTo(MODEL);
        assertThat(path.get("version").asInt()).isEqualTo(1);
        assertThat(path.get("method").asString()).isEqualTo("lerp");
        assertThat(path.get("steps").asInt()).isEqualTo(5);
        assertThat(path.get("images")).hasSize(5);
        JsonNode latents = path.get("latents");
        assertThat(latents).hasSize(5);
        // The ends are the posterior means /encode answers for the two images (the same batch of two).
        JsonNode encoded = http.postMultipart("/v1/models/" + MODEL + "/encode", List.of(part(0), part(1)), "application/json")
                .json().get("latents");
        assertClose(latents.get(0), encoded.get(0).get("mean"), 1e-6);
        assertClose(latents.get(4), encoded.get(1).get("mean"), 1e-6);
        // lerp: the middle step is the mean of the ends.
        for (int d = 0; d < 4; d++) {
            assertThat(latents.get(2).get(d).asDouble()).isCloseTo(
                    (latents.get(0).get(d).asDouble() + latents.get(4).get(d).asDouble()) / 2, within(1e-5));
        }
        // Each step's latent is in /sample's form: /decode takes the ends back and gives their images.
        JsonNode decoded = http.postJson("/v1/models/" + MODEL + "/decode", "{\"latents\": [" + latents.get(0) + ", "
                + latents.get(4) + "], \"includePixels\": true}").json().get("images");
        assertClose(decoded.get(0).get("pixels"), path.get("images").get(0).get("pixels"), 1e-5);
        assertClose(decoded.get(1).get("pixels"), path.get("images").get(4).get("pixels"), 1e-5);
        byte[] png = Base64.getDecoder().decode(path.get("images").get(2).get("png").asString());
        assertThat(ImageCodec.decode(png, 64).shape()).isEqualTo(SHAPE);
    }

    @Test
    void slerpKeepsTheEndsAndBendsTheMiddleAndAPngIsOneStrip() {
        Response lerp = http.postMultipart(PATH + "?steps=3", List.of(part(0), part(1)), "application/json");
        Response slerp = http.postMultipart(PATH + "?steps=3&method=slerp", List.of(part(0), part(1)), "application/json");
        assertThat(slerp.status()).as(slerp.text()).isEqualTo(200);
        JsonNode straight = lerp.json().get("latents");
        JsonNode bent = slerp.json().get("latents");
        assertThat(slerp.json().get("method").asString()).isEqualTo("slerp");
        assertThat(bent.get(0)).isEqualTo(straight.get(0));
        assertThat(bent.get(2)).isEqualTo(straight.get(2));
        // The two means are not parallel: slerp's midpoint lies farther from the origin than the chord's.
        assertThat(norm(bent.get(1))).isGreaterThan(norm(straight.get(1)));

        Response strip = http.postMultipart(PATH + "?steps=6&method=slerp", List.of(part(0), part(1)), "image/png");
        assertThat(strip.status()).isEqualTo(200);
        assertThat(strip.contentType()).isEqualTo("image/png");
        assertThat(ImageCodec.decode(strip.body(), 4096).shape()).isEqualTo(new ImageShape(1, 16, 6 * 16 + 5 * 2));
        Response json = http.postJson(PATH, "{\"seeds\": [1, 2], \"steps\": 4, \"method\": \"slerp\"}", "image/png");
        assertThat(ImageCodec.decode(json.body(), 4096).shape()).isEqualTo(new ImageShape(1, 16, 4 * 16 + 3 * 2));
    }

    @Test
    void slerpThatCannotBeWalkedIsAnsweredAsTheLerpItWalked() {
        JsonNode zero = http.postJson(PATH, "{\"latents\": [[0, 0, 0, 0], [1, -1, 2, 0.5]], \"steps\": 3, "
                + "\"method\": \"slerp\"}").json();
        assertThat(zero.get("method").asString()).isEqualTo("lerp");
        assertThat(zero.get("lerpReason").asString()).contains("zero vector");
        assertThat(zero.get("latents").get(1).toString()).isEqualTo("[0.5,-0.5,1.0,0.25]");
        JsonNode parallel = http.postJson(PATH, "{\"latents\": [[1, -1, 2, 0.5], [-2, 2, -4, -1]], \"steps\": 3, "
                + "\"method\": \"slerp\"}").json();
        assertThat(parallel.get("method").asString()).isEqualTo("lerp");
        assertThat(parallel.get("lerpReason").asString()).contains("opposite ways");
        JsonNode bent = http.postJson(PATH, "{\"latents\": [[1, 0, 0, 0], [0, 1, 0, 0]], \"steps\": 3, "
                + "\"method\": \"slerp\"}").json();
        assertThat(bent.get("method").asString()).isEqualTo("slerp");
        assertThat(bent.has("lerpReason")).isFalse();
        Response strip = http.postJson(PATH, "{\"latents\": [[0, 0, 0, 0], [1, -1, 2, 0.5]], \"method\": \"slerp\"}",
                "image/png");
        assertThat(strip.headers().firstValue("Interpolation-Method")).contains("lerp");
    }

    @Test
    void seedsAreTheLatentsSampleDrawsAndGivenLatentsAreTheEnds() {
        JsonNode path = http.postJson(PATH, "{\"seeds\": [7, 8], \"steps\": 4, \"method\": \"slerp\"}").json();
        JsonNode first = http.postJson("/v1/models/" + MODEL + "/sample", "{\"count\": 1, \"seed\": 7}").json();
        JsonNode last = http.postJson("/v1/models/" + MODEL + "/sample", "{\"count\": 1, \"seed\": 8}").json();
        assertThat(path.get("latents").get(0)).isEqualTo(first.get("latents").get(0));
        assertThat(path.get("latents").get(3)).isEqualTo(last.get("latents").get(0));

        JsonNode given = http.postJson(PATH, "{\"latents\": [[0, 0, 0, 0], [1, -1, 2, 0.5]], \"steps\": 3}").json();
        assertThat(given.get("latents").toString()).isEqualTo("[[0.0,0.0,0.0,0.0],[0.5,-0.5,1.0,0.25],[1.0,-1.0,2.0,0.5]]");
        // /encode's posteriors go in as they are (their z is taken), as /decode takes them.
        JsonNode encoded = http.postMultipart("/v1/models/" + MODEL + "/encode", List.of(part(0), part(1)), "application/json")
                .json();
        JsonNode fromPosteriors = http.postJson(PATH, "{\"latents\": " + encoded.get("latents") + ", \"steps\": 2}").json();
        assertThat(fromPosteriors.get("latents").get(1)).isEqualTo(encoded.get("latents").get(1).get("z"));
    }

    @Test
    void badInputsAreRefusedAsProblems() {
        String two = "\"images\": [\"" + base64(0) + "\", \"" + base64(1) + "\"]";
        assertProblem(http.postJson(PATH, "{" + two + ", \"steps\": 1}"), 400, "out-of-range");
        assertProblem(http.postJson(PATH, "{" + two + ", \"steps\": 65}"), 400, "out-of-range");
        assertProblem(http.postJson(PATH, "{\"seeds\": [1, 2], \"steps\": 65}", "image/png"), 400, "out-of-range");
        assertProblem(http.postMultipart(PATH + "?steps=0", List.of(part(0), part(1)), "application/json"), 400, "out-of-range");
        assertProblem(http.postJson(PATH, "{" + two + ", \"method\": \"cubic\"}"), 400, "out-of-range");
        assertProblem(http.postMultipart(PATH + "?method=cubic", List.of(part(0), part(1)), "application/json"), 400,
                "out-of-range");
        assertProblem(http.postJson(PATH, "{\"images\": [\"" + base64(0) + "\"]}"), 400, "out-of-range");
        assertProblem(http.postJson(PATH, "{\"images\": [\"" + base64(0) + "\", \"" + base64(1) + "\", \"" + base64(2) + "\"]}"),
                400, "out-of-range");
        assertProblem(http.postMultipart(PATH, List.of(part(0)), "application/json"), 400, "out-of-range");
        assertProblem(http.postJson(PATH, "{\"seeds\": [1]}"), 400, "out-of-range");
        assertProblem(http.postJson(PATH, "{\"seeds\": [1, null]}"), 400, "missing-field");
        assertProblem(http.postJson(PATH, "{\"latents\": [[0, 0, 0, 0]]}"), 400, "out-of-range");
        assertProblem(http.postJson(PATH, "{}"), 400, "missing-field");
        assertProblem(http.postJson(PATH, "{" + two + ", \"latents\": [[0, 0, 0, 0], [0, 0, 0, 0]]}"), 400, "missing-field");
        assertProblem(http.postJson(PATH, "{\"seeds\": [1, 2], \"latents\": [[0, 0, 0, 0], [0, 0, 0, 0]]}"), 400,
                "missing-field");
        assertProblem(http.postJson(PATH, "{\"stpes\": 4, \"seeds\": [1, 2]}"), 400, "bad-request");
        String wrong = Base64.getEncoder().encodeToString(TestFiles.png(new ImageShape(1, 28, 28), 0.5f));
        assertProblem(http.postJson(PATH, "{\"images\": [\"" + wrong + "\", \"" + wrong + "\"]}"), 422, "image-shape-mismatch");
        assertProblem(http.postJson(PATH, "{\"images\": [\"" + base64(0) + "\", \"" + wrong + "\"]}"), 422,
                "image-shape-mismatch");
        assertProblem(http.postMultipart(PATH, List.of(part(0), new Part("image", "b.png", "image/png",
                TestFiles.png(new ImageShape(1, 8, 8), 0f))), "application/json"), 422, "image-shape-mismatch");
        assertProblem(http.postJson(PATH, "{\"pixels\": [[0.1, 0.2], [0.1, 0.2]]}"), 422, "image-shape-mismatch");
        assertProblem(http.postJson(PATH, "{\"latents\": [[0, 0, 0], [0, 0, 0, 0]]}"), 422, "invalid-latent");
        assertProblem(http.postJson(PATH, "{\"latents\": [[0, 0, 0, 1e39], [0, 0, 0, 0]]}"), 422, "invalid-latent");
        assertProblem(http.postJson(PATH, "{\"codes\": [[[0]], [[1]]]}"), 422, "invalid-latent");
        assertProblem(http.postJson("/v1/models/nope/interpolate", "{\"seeds\": [1, 2]}"), 404, "model-not-found");
    }

    @Test
    void aVqVaeWalksBetweenEncoderOutputsAndAnswersCodes() throws InterruptedException {
        Response submitted = http.postJson("/v1/jobs", """
                {"type": "train", "model": "interpolated-codes", "family": "vqvae", "dataset": "%s", "epochs": 2,
                 "batchSize": 32, "learningRate": 0.002, "architecture": {"hiddenChannels": 16, "residualChannels": 8,
                 "residualBlocks": 1, "codes": 16, "codeDim": 8}}""".formatted(trainId));
        assertThat(submitted.status()).as(submitted.text()).isEqualTo(202);
        JsonNode job = waitForTerminal(submitted.headers().firstValue("Location").orElseThrow(), Duration.ofSeconds(180));
        assertThat(job.get("state").asString()).as(job.toString()).isEqualTo("SUCCEEDED");
        String path = "/v1/models/interpolated-codes/interpolate";

        Response answered = http.postMultipart(path + "?steps=6", List.of(part(0), part(1)), "application/json");
        assertThat(answered.status()).as(answered.text()).isEqualTo(200);
        JsonNode codes = answered.json().get("codes");
        assertThat(answered.json().has("latents")).isFalse();
        assertThat(codes).hasSize(6);
        for (JsonNode grid : codes) {
            assertThat(grid).hasSize(4);
            for (JsonNode row : grid) {
                assertThat(row).hasSize(4);
                row.forEach(code -> assertThat(code.asInt()).isBetween(0, 15));
            }
        }
        JsonNode encoded = http.postMultipart("/v1/models/interpolated-codes/encode", List.of(part(0), part(1)), "application/json")
                .json().get("codes");
        assertThat(codes.get(0)).isEqualTo(encoded.get(0));
        assertThat(codes.get(5)).isEqualTo(encoded.get(1));
        // Each step's codes decode again to its image.
        JsonNode decoded = http.postJson("/v1/models/interpolated-codes/decode", "{\"codes\": " + codes + "}").json();
        assertThat(decoded.get("images")).isEqualTo(answered.json().get("images"));

        // Two code grids: the path runs between their codebook vectors, so the ends are the grids sent.
        JsonNode between = http.postJson(path, "{\"codes\": [" + encoded.get(1) + ", " + encoded.get(0) + "], \"steps\": 3, "
                + "\"method\": \"slerp\"}").json();
        assertThat(between.get("codes").get(0)).isEqualTo(encoded.get(1));
        assertThat(between.get("codes").get(2)).isEqualTo(encoded.get(0));
        Response strip = http.postJson(path, "{\"codes\": " + encoded + ", \"steps\": 4}", "image/png");
        assertThat(ImageCodec.decode(strip.body(), 4096).shape()).isEqualTo(new ImageShape(1, 16, 4 * 16 + 3 * 2));

        assertProblem(http.postJson(path, "{\"seeds\": [1, 2]}"), 422, "invalid-latent");
        assertProblem(http.postJson(path, "{\"latents\": [[0, 0, 0, 0], [0, 0, 0, 0]]}"), 422, "invalid-latent");
        assertProblem(http.postJson(path, "{\"codes\": [[[0, 99, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]], "
                + encoded.get(0) + "]}"), 422, "invalid-latent");
        assertProblem(http.postJson(path, "{\"vectors\": [[0.5], [0.5]]}"), 422, "invalid-latent");
    }

    @Test
    void theApiDocumentDescribesTheEndpointWithExamples() {
        JsonNode post = http.get("/v3/api-docs").json().get("paths").get("/v1/models/{model}/interpolate").get("post");
        assertThat(post.get("responses").propertyNames()).contains("200", "400", "404", "422");
        assertThat(post.get("responses").get("200").get("content").propertyNames()).contains("application/json", "image/png");
        JsonNode json = post.get("requestBody").get("content").get("application/json");
        assertThat(json.get("examples").propertyNames()).contains("seeds", "latents", "codes");
        assertThat(post.get("requestBody").get("content").get("multipart/form-data").get("schema").get("properties")
                .get("image").get("type").asString()).isEqualTo("array");
    }

    private String base64(int index) {
        return Base64.getEncoder().encodeToString(TestFiles.png(testImages, index));
    }

    private Part part(int index) {
        return new Part("image", index + ".png", "image/png", TestFiles.png(testImages, index));
    }

    private static double norm(JsonNode vector) {
        double sum = 0;
        for (JsonNode v : vector) {
            sum += v.asDouble() * v.asDouble();
        }
        return Math.sqrt(sum);
    }

    private static void assertClose(JsonNode actual, JsonNode expected, double tolerance) {
        assertThat(actual).hasSize(expected.size());
        for (int i = 0; i < expected.size(); i++) {
            assertThat(actual.get(i).asDouble()).isCloseTo(expected.get(i).asDouble(), within(tolerance));
        }
    }
}
