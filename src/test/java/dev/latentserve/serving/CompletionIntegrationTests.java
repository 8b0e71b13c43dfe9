package dev.latentserve.serving;

import static org.assertj.core.api.Assertions.assertThat;

import dev.latentserve.image.ImageCodec;
import dev.latentserve.image.ImageShape;
import dev.latentserve.testing.ApiIntegrationSupport;
import dev.latentserve.testing.Http;
import dev.latentserve.testing.Http.Part;
import dev.latentserve.testing.Http.Response;
import dev.latentserve.testing.TestFiles;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * {@code /complete} through the whole application: a VQ-VAE (16x16 images, 4x4 codes) trained and given a prior
 * through the job API completes an image from its top rows or a mask, as JSON and as a PNG strip, and refuses what does
 * not fit.
 */
class CompletionIntegrationTests extends ApiIntegrationSupport {

    private static final String VQ = "inpaint";

    private String image;

    @BeforeAll
    void trainAVqVaeWithAPrior() throws InterruptedException {
        trainVqVaeWithPrior(VQ, 2);
        image = Base64.getEncoder().encodeToString(TestFiles.png(testImages, 0));
    }

    private Response complete(String fields) {
        return http.postJson("/v1/models/" + VQ + "/complete", "{\"images\": [\"" + image + "\"], " + fields + "}");
    }

    @Test
    void knownRowsKeepTheImagesTopCodesAndTheCodesDecodeAsTheyAre() {
        JsonNode own = http.postJson("/v1/models/" + VQ + "/encode", "{\"images\": [\"" + image + "\"]}").json()
                .get("codes").get(0);
        JsonNode completed = complete("\"knownRows\": 8, \"count\": 3, \"seed\": 5, \"topK\": 8").json();
        assertThat(completed.get("model").asString()).isEqualTo(VQ);
        assertThat(completed.get("version").asInt()).as("a bare name completes with the version that has the prior").isEqualTo(2);
        assertThat(completed.get("seed").asLong()).isEqualTo(5);
        assertThat(completed.get("kept").toString()).isEqualTo("[[1,1,1,1],[1,1,1,1],[0,0,0,0],[0,0,0,0]]");
        assertThat(completed.get("images")).hasSize(3);
        assertThat(completed.get("codes")).hasSize(3);
        for (JsonNode grid : completed.get("codes")) {
            assertThat(grid.get(0)).isEqualTo(own.get(0));
            assertThat(grid.get(1)).isEqualTo(own.get(1));
        }
        assertThat(complete("\"knownRows\": 8, \"count\": 3, \"seed\": 5, \"topK\": 8").json().get("codes"))
                .isEqualTo(completed.get("codes"));
        JsonNode decoded = http.postJson("/v1/models/" + VQ + "/decode", "{\"codes\": " + completed.get("codes") + "}").json();
        assertThat(decoded.get("images").get(2).get("png").asString()).isEqualTo(completed.get("images").get(2).get("png").asString());

        // Every row known: the image's own codes, decoded as /reconstruct decodes them.
        JsonNode whole = complete("\"knownRows\": 16, \"count\": 1").json();
        assertThat(whole.get("codes").get(0)).isEqualTo(own);
        JsonNode reconstruction = http.postJson("/v1/models/" + VQ + "/reconstruct", "{\"images\": [\"" + image + "\"]}").json();
        assertThat(whole.get("images").get(0).get("png").asString())
                .isEqualTo(reconstruction.get("reconstructions").get(0).get("png").asString());
    }

    @Test
    void aMaskKeepsTheCodesWhoseFootprintItCoversAndAPngStripShowsTheImageFirst() {
        StringBuilder mask = new StringBuilder("[");
        for (int y = 0; y < 16; y++) {
            mask.append(y == 0 ? "" : ",").append('[');
            for (int x = 0; x < 16; x++) {
                mask.append(x == 0 ? "" : ",").append(x < 8 ? 1 : 0);
            }
            mask.append(']');
        }
        mask.append(']');
        JsonNode completed = complete("\"mask\": " + mask + ", \"count\": 2, \"seed\": 1").json();
        assertThat(completed.get("kept").toString()).isEqualTo("[[1,1,0,0],[1,1,0,0],[1,1,0,0],[1,1,0,0]]");

        Response strip = http.postJson("/v1/models/" + VQ + "/complete", "{\"pixels\": [" + pixels() + "], \"knownRows\": 4, "
                + "\"count\": 3, \"seed\": 2}", "image/png");
        assertThat(strip.status()).as(strip.text()).isEqualTo(200);
        assertThat(strip.contentType()).isEqualTo("image/png");
        assertThat(ImageCodec.decode(strip.body(), 256).shape()).isEqualTo(new ImageShape(1, 16, 4 * 16 + 3 * 2));

        // Multipart: the image part, knownRows as a field or the mask as a PNG part whose non-zero pixels are known.
        byte[] png = TestFiles.png(testImages, 0);
        Response multipart = http.postMultipart("/v1/models/" + VQ + "/complete?knownRows=8&count=2&seed=5&topK=8",
                List.of(new Part("image", "shirt.png", "image/png", png)), "application/json");
        assertThat(multipart.status()).as(multipart.text()).isEqualTo(200);
        assertThat(multipart.json().get("codes")).isEqualTo(complete("\"knownRows\": 8, \"count\": 2, \"seed\": 5, \"topK\": 8")
                .json().get("codes"));
        Response maskPart = http.postMultipart("/v1/models/" + VQ + "/complete?count=2&seed=5", List.of(
                new Part("image", "shirt.png", "image/png", png),
                new Part("mask", "mask.png", "image/png", TestFiles.png(SHAPE, 1f))), "image/png");
        assertThat(maskPart.status()).as(maskPart.text()).isEqualTo(200);
        assertThat(ImageCodec.decode(maskPart.body(), 256).shape()).isEqualTo(new ImageShape(1, 16, 3 * 16 + 2 * 2));
        assertProblem(http.postMultipart("/v1/models/" + VQ + "/complete?count=2", List.of(
                new Part("image", "shirt.png", "image/png", png),
                new Part("mask", "mask.png", "image/png", TestFiles.png(new ImageShape(1, 8, 8), 1f))), "application/json"),
                422, "invalid-mask");
    }

    private String pixels() {
        float[] values = new float[SHAPE.size()];
        testImages.copyImage(0, values, 0);
        StringBuilder json = new StringBuilder("[");
        for (int i = 0; i < values.length; i++) {
            json.append(i == 0 ? "" : ",").append(values[i]);
        }
        return json.append(']').toString();
    }

    @Test
    void theOpenApiDescriptionDocumentsCompletion() {
        JsonNode complete = http.get("/v3/api-docs").json().get("paths").get("/v1/models/{model}/complete").get("post");
        assertThat(complete.get("responses").propertyNames()).contains("200", "400", "404", "409", "422");
        assertThat(complete.get("description").asString()).contains("exact", "approximation", "footprint");
        assertThat(complete.get("requestBody").get("content").propertyNames()).contains("application/json",
                "multipart/form-data");
        JsonNode request = http.get("/v3/api-docs").json().get("components").get("schemas").get("CompleteRequest");
        assertThat(request.get("example").toString()).contains("knownRows");
    }

    @Test
    void whatDoesNotFitIsRefused() {
        assertProblem(complete("\"knownRows\": 17"), 400, "out-of-range");
        assertProblem(complete("\"knownRows\": -1"), 400, "out-of-range");
        assertProblem(complete("\"knownRows\": 4, \"mask\": [[1]]"), 400, "conflicting-fields");
        assertProblem(complete("\"count\": 2"), 400, "missing-field");
        assertProblem(complete("\"knownRows\": 4, \"count\": 0"), 400, "out-of-range");
        assertProblem(complete("\"knownRows\": 4, \"count\": 65"), 400, "out-of-range");
        assertProblem(complete("\"mask\": [[1, 0], [0, 1]]"), 422, "invalid-mask");
        assertProblem(complete("\"knownRows\": 4, \"temperature\": 0"), 400, "out-of-range");
        Response noPrior = http.postJson("/v1/models/" + VQ + "@1/complete", "{\"images\": [\"" + image + "\"], \"knownRows\": 4}");
        assertProblem(noPrior, 409, "no-prior");
        assertThat(noPrior.json().get("detail").asString()).contains("\"type\":\"fit-prior\"", "\"model\":\"" + VQ + "@1\"");
        Response vae = http.postJson("/v1/models/" + MODEL + "/complete", "{\"images\": [\"" + image + "\"], \"knownRows\": 4}");
        assertProblem(vae, 422, "not-completable");
        assertThat(vae.json().get("detail").asString()).contains("autoregressive prior");
        assertProblem(http.postJson("/v1/models/" + VQ + "/complete", "{\"images\": [\"" + image + "\", \"" + image
                + "\"], \"knownRows\": 4}"), 400, "bad-request");
        assertProblem(http.postJson("/v1/models/" + VQ + "/complete", "{\"images\": [\"" + Base64.getEncoder().encodeToString(
                TestFiles.png(new ImageShape(1, 8, 8), 0f)) + "\"], \"knownRows\": 4}"), 422, "image-shape-mismatch");
    }

    @Test
    void settingsThatDoNotApplyToTheModelAreRefusedAndEveryNoPriorAnswerNamesTheJob() {
        Response topK = complete("\"knownRows\": 4, \"topK\": 17");
        assertProblem(topK, 422, "inapplicable-setting");
        assertThat(topK.json().get("detail").asString()).contains("topK is 17", "the codebook holds 16 codes", "at most 16");
        assertThat(complete("\"knownRows\": 4, \"topK\": 16, \"count\": 1").status()).isEqualTo(200);
        Response sampleTopK = http.postJson("/v1/models/" + VQ + "/sample", "{\"count\": 1, \"topK\": 17}");
        assertProblem(sampleTopK, 422, "inapplicable-setting");
        assertThat(sampleTopK.json().get("detail").asString()).isEqualTo(topK.json().get("detail").asString());

        String score = "/v1/models/" + VQ + "/score";
        String oneImage = "{\"images\": [\"" + image + "\"]";
        for (String setting : List.of("\"k\": 100", "\"samples\": 1")) {
            Response refused = http.postJson(score, oneImage + ", " + setting + "}");
            assertProblem(refused, 422, "inapplicable-setting");
            assertThat(refused.json().get("detail").asString()).contains("does not apply to model " + VQ + "@2",
                    "Gaussian latents", "-log p(codes)");
        }
        assertThat(http.postJson(score, oneImage + "}").json().get("scores").get(0).has("negativeLogPriorTotal")).isTrue();

        // Without its prior a version's 409 names the job to send, whatever asked for the prior.
        for (String[] operation : List.of(new String[] {"score", "score images with", oneImage + "}"},
                new String[] {"complete", "complete images with", oneImage + ", \"knownRows\": 4}"},
                new String[] {"sample", "sample from", "{\"count\": 1}"})) {
            Response noPrior = http.postJson("/v1/models/" + VQ + "@1/" + operation[0], operation[2]);
            assertProblem(noPrior, 409, "no-prior");
            assertThat(noPrior.json().get("detail").asString()).as(operation[0]).startsWith("model " + VQ + "@1 has no prior to "
                    + operation[1] + "; fit one with POST /v1/jobs {\"type\":\"fit-prior\",\"model\":\"" + VQ + "@1\"")
                    .doesNotContain("<");
        }
    }

    @Test
    void theFormIsReadWithTheJsonBodysRules() {
        Part picture = new Part("image", "a.png", "image/png", TestFiles.png(testImages, 0));
        String path = "/v1/models/" + VQ + "/complete";
        Response completed = http.postMultipart(path, List.of(picture, Part.field("knownRows", "8"), Part.field("count", "2"),
                Part.field("seed", "5"), Part.field("topK", "8"), Part.field("temperature", "")), "application/json");
        assertThat(completed.status()).as(completed.text()).isEqualTo(200);
        assertThat(completed.json().get("codes")).isEqualTo(complete("\"knownRows\": 8, \"count\": 2, \"seed\": 5, "
                + "\"topK\": 8").json().get("codes"));

        Response twice = http.postMultipart(path, List.of(picture, Part.field("knownRows", "8"), Part.field("knownRows", "16")),
                "application/json");
        assertProblem(twice, 400, "bad-request");
        assertThat(twice.json().get("detail").asString()).isEqualTo("form field 'knownRows' is given 2 times; send each field once");
        Response unknown = http.postMultipart(path, List.of(picture, Part.field("knownRows", "8"), Part.field("top_k", "3")),
                "application/json");
        assertProblem(unknown, 400, "bad-request");
        assertThat(unknown.json().get("detail").asString()).contains("'top_k' is not one this form takes", "knownRows", "topK",
                "temperatures.<key>", "mask (file)");
        Response fraction = http.postMultipart(path, List.of(picture, Part.field("knownRows", "8"), Part.field("count", "2.0")),
                "application/json");
        assertProblem(fraction, 400, "bad-request");
        Response jsonFraction = complete("\"knownRows\": 8, \"count\": 2.0");
        assertProblem(jsonFraction, 400, "bad-request");
        // The same words, less the JSON's line and column.
        assertThat(jsonFraction.json().get("detail").asString().replaceAll(" \\(line \\d+, column \\d+\\)", ""))
                .isEqualTo(fraction.json().get("detail").asString())
                .isEqualTo("field 'count': the value 2.0 is not a whole number from -2147483648 to 2147483647");
        // Per-level temperatures reach the sampling checks, which say this VQ-VAE has one level.
        Response level = http.postMultipart(path, List.of(picture, Part.field("knownRows", "8"),
                Part.field("temperatures.top", "0.5")), "application/json");
        assertProblem(level, 400, "out-of-range");
        assertThat(level.json().get("detail").asString()).contains("this model has one level: use temperature");
    }

    @Test
    void wholeNumberFieldsRefuseFractionsAndExponentsAlike() {
        String pixels = "{\"pixels\": [" + Http.JSON.writeValueAsString(new float[256]) + "]";
        Response k = http.postJson("/v1/models/" + MODEL + "/score", pixels + ", \"k\": 1e3}");
        Response seed = http.postJson("/v1/models/" + MODEL + "/score", pixels + ", \"seed\": 1.0}");
        Response steps = http.postJson("/v1/models/" + MODEL + "/interpolate", "{\"seeds\": [1, 2], \"steps\": 4.0}");
        Response seeds = http.postJson("/v1/models/" + MODEL + "/interpolate", "{\"seeds\": [1, 2e0]}");
        Response count = complete("\"knownRows\": 8, \"count\": 1e0");
        Response sampleSeed = http.postJson("/v1/models/" + MODEL + "/sample", "{\"seed\": 7.0}");
        for (Response refused : List.of(k, seed, steps, seeds, count, sampleSeed)) {
            assertProblem(refused, 400, "bad-request");
            assertThat(refused.json().get("detail").asString()).matches("field '[a-zA-Z\\[\\]0-9]+' \\(line 1, column \\d+\\): "
                    + "the value [0-9.e]+ is not a whole number from -\\d+ to \\d+");
        }
    }
}
