package dev.latentserve.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.latentserve.image.ImageShape;
import dev.latentserve.testing.ApiIntegrationSupport;
import dev.latentserve.testing.Http;
import dev.latentserve.testing.Http.Part;
import dev.latentserve.testing.Http.Response;
import dev.latentserve.testing.TestFiles;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** {@code POST /score} on the trained VAE: the bounds per image, their limits, and that data scores better than noise. */
class ScoreIntegrationTests extends ApiIntegrationSupport {

    private String path() {
        return "/v1/models/" + MODEL + "/score";
    }

    private float[] testPixels(int index) {
        float[] pixels = new float[SHAPE.size()];
        testImages.copyImage(index, pixels, 0);
        return pixels;
    }

    private static String pixelsBody(List<float[]> images, String options) {
        return "{\"pixels\": " + Http.JSON.writeValueAsString(images) + options + "}";
    }

    @Test
    void scoresEachImageWithBothBoundsInNatsAndBitsPerDimension() {
        Response response = http.postMultipart(path(), List.of(
                        new Part("image", "a.png", "image/png", TestFiles.png(testImages, 0)),
                        new Part("image", "b.png", "image/png", TestFiles.png(testImages, 1))),
                "application/json");
        assertThat(response.status()).as(response.text()).isEqualTo(200);
        JsonNode body = response.json();
        assertThat(body.get("model").asString()).isEqualTo(MODEL);
        assertThat(body.get("version").asInt()).isEqualTo(1);
        assertThat(body.get("samples").asInt()).isEqualTo(1);
        assertThat(body.get("k").asInt()).isEqualTo(100);
        assertThat(body.get("seed").isNumber()).isTrue();
        assertThat(body.get("scores")).hasSize(2);
        for (JsonNode score : body.get("scores")) {
            double iwae = score.get("iwae").asDouble();
            assertThat(iwae).isPositive();
            assertThat(score.get("iwaeBitsPerDim").asDouble()).isCloseTo(iwae / (SHAPE.size() * Math.log(2)), within(1e-9));
            assertThat(score.get("negativeElboBitsPerDim").asDouble())
                    .isCloseTo(score.get("negativeElbo").asDouble() / (SHAPE.size() * Math.log(2)), within(1e-9));
            assertThat(score.has("negativeElboStandardError")).isTrue();
            assertThat(score.get("negativeElboStandardError").isNull()).isTrue();
        }
    }

    @Test
    void theBoundIsTighterThanTheElboAndASeedRepeatsItsAnswer() {
        String body = pixelsBody(List.of(testPixels(2), testPixels(3)), ", \"samples\": 50, \"k\": 500, \"seed\": 7");
        JsonNode first = http.postJson(path(), body).json();
        JsonNode again = http.postJson(path(), body).json();
        assertThat(first.get("scores")).isEqualTo(again.get("scores"));
        assertThat(first.get("seed").asLong()).isEqualTo(7);
        for (JsonNode score : first.get("scores")) {
            double error = score.get("negativeElboStandardError").asDouble();
            assertThat(error).isPositive();
            // E[iwae] <= E[-ELBO]; both are estimates, so allow three standard errors of the ELBO's.
            assertThat(score.get("iwae").asDouble()).isLessThan(score.get("negativeElbo").asDouble() + 3 * error);
        }
        JsonNode other = http.postJson(path(), body.replace("\"seed\": 7", "\"seed\": 8")).json();
        assertThat(other.get("scores")).isNotEqualTo(first.get("scores"));
    }

    @Test
    void oneDrawOfTheElboIsTheOneReconstructEstimatesForTheSameSeed() {
        String body = pixelsBody(List.of(testPixels(4), testPixels(5)), ", \"seed\": 11");
        JsonNode scored = http.postJson(path(), body.replace("}", ", \"k\": 1}")).json();
        JsonNode reconstructed = http.postJson("/v1/models/" + MODEL + "/reconstruct", body).json();
        for (int i = 0; i < 2; i++) {
            assertThat(scored.get("scores").get(i).get("negativeElbo").asDouble())
                    .isCloseTo(reconstructed.get("reconstructions").get(i).get("negativeElbo").asDouble(), within(0.01));
        }
    }

    @Test
    void testImagesScoreBetterThanUniformNoise() {
        List<float[]> data = new ArrayList<>();
        List<float[]> noise = new ArrayList<>();
        SplittableRandom random = new SplittableRandom(3);
        for (int i = 0; i < 8; i++) {
            data.add(testPixels(i));
            float[] pixels = new float[SHAPE.size()];
            for (int p = 0; p < pixels.length; p++) {
                pixels[p] = (float) random.nextDouble();
            }
            noise.add(pixels);
        }
        JsonNode dataScores = http.postJson(path(), pixelsBody(data, ", \"seed\": 1")).json().get("scores");
        JsonNode noiseScores = http.postJson(path(), pixelsBody(noise, ", \"seed\": 1")).json().get("scores");
        double worstData = 0;
        double bestNoise = Double.POSITIVE_INFINITY;
        for (int i = 0; i < 8; i++) {
            worstData = Math.max(worstData, dataScores.get(i).get("iwae").asDouble());
            bestNoise = Math.min(bestNoise, noiseScores.get(i).get("iwae").asDouble());
        }
        assertThat(worstData).isLessThan(bestNoise);
        // Training recorded the test set's scores: noise is worse than all of them, test-like images sit among them.
        assertThat(http.get("/v1/models/" + MODEL + "/versions/1").json().get("metrics").get("testNegativeElboQuantiles"))
                .hasSize(101);
        double meanPercentile = 0;
        for (int i = 0; i < 8; i++) {
            assertThat(noiseScores.get(i).get("percentile").asDouble()).isEqualTo(100.0);
            meanPercentile += dataScores.get(i).get("percentile").asDouble() / 8;
        }
        assertThat(meanPercentile).isBetween(10.0, 90.0);
    }

    @Test
    void versionsTrainedBeforeTheTestSetsScoresWereRecordedAnswerNoPercentile() {
        JsonNode score = http.postJson("/v1/models/fashion-vae/score", pixelsBody(List.of(new float[784]), ", \"k\": 2"))
                .json().get("scores").get(0);
        assertThat(score.has("iwae")).isTrue();
        assertThat(score.has("percentile")).isFalse();
    }

    @Test
    void refusesWhatIsOutOfRangeOrDoesNotFit() {
        String one = pixelsBody(List.of(testPixels(0)), "");
        assertProblem(http.postJson(path(), one.replace("}", ", \"k\": 5001}")), 400, "out-of-range");
        assertProblem(http.postJson(path(), one.replace("}", ", \"k\": 0}")), 400, "out-of-range");
        assertProblem(http.postJson(path(), one.replace("}", ", \"samples\": 101}")), 400, "out-of-range");
        assertProblem(http.postJson(path(), one.replace("}", ", \"kk\": 3}")), 400, "bad-request");
        List<float[]> many = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            many.add(testPixels(i));
        }
        // 30 x (1 + 5000) decoder passes exceed max-draws (50,000).
        assertProblem(http.postJson(path(), pixelsBody(many, ", \"k\": 5000")), 400, "out-of-range");
        String wrongSize = Base64.getEncoder().encodeToString(TestFiles.png(new ImageShape(1, 28, 28), 0.5f));
        String rightSize = Base64.getEncoder().encodeToString(TestFiles.png(testImages, 0));
        assertProblem(http.postJson(path(), "{\"images\": [\"" + wrongSize + "\"]}"), 422, "image-shape-mismatch");
        assertProblem(http.postJson(path(), "{\"images\": [\"" + rightSize + "\", \"" + wrongSize + "\"]}"), 422,
                "image-shape-mismatch");
        assertProblem(http.postJson(path(), "{}"), 400, "missing-field");
        assertProblem(http.postJson("/v1/models/no-such-model/score", one), 404, "model-not-found");
    }
}
