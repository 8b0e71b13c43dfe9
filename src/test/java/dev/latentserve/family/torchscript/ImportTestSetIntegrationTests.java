package dev.latentserve.family.torchscript;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.latentserve.family.HeldOutScoring;
import dev.latentserve.image.ImageData;
import dev.latentserve.image.ImageShape;
import dev.latentserve.testing.ApiIntegrationSupport;
import dev.latentserve.testing.Http;
import dev.latentserve.testing.Http.Response;
import dev.latentserve.testing.SyntheticImages;
import dev.latentserve.testing.TestFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * An imported VAE scored on a stored held-out dataset at import (issue 17): the manifest gets the quantiles of its
 * one-sample negative ELBO, /score answers percentiles against them, and a dataset that is missing, of another shape,
 * or given to a model without a likelihood is refused before anything is published.
 */
class ImportTestSetIntegrationTests extends ApiIntegrationSupport {

    private static final ImageShape TORCH_SHAPE = new ImageShape(1, 28, 28);
    private static final List<String> FILES = List.of("latentserve-model.json", "encoder.pt", "decoder.pt");

    private ImageData heldOut;

    @BeforeAll
    void uploadAHeldOutDatasetOfTheModelsShape() {
        // As the service stores them: 8-bit pixels.
        heldOut = ImageData.ofBytes(TORCH_SHAPE, SyntheticImages.blobs(TORCH_SHAPE, 48, 4).uint8());
        Response uploaded = http.postBytes("/v1/datasets?name=heldout28", "application/octet-stream", TestFiles.idx(heldOut));
        assertThat(uploaded.status()).as(uploaded.text()).isEqualTo(201);
    }

    @Test
    void anImportScoredOnATestDatasetAnswersPercentilesAgainstIt() throws IOException {
        Path dir = Fixtures.folder("torchscript/conv-vae");
        List<Http.Part> parts = files(dir);
        parts.add(field("testDataset", "heldout28"));
        parts.add(field("testImages", "40"));
        Response imported = http.postMultipart("/v1/models/torch-heldout/versions", parts, "application/json");
        assertThat(imported.status()).as(imported.text()).isEqualTo(201);
        JsonNode manifest = imported.json();
        assertThat(manifest.get("training").get("testImages").asInt()).isEqualTo(40);
        assertThat(manifest.get("training").get("testDataset").asString()).isNotBlank();
        JsonNode stored = manifest.get("metrics").get(HeldOutScoring.METRIC);
        assertThat(stored).hasSize(101);
        List<Double> quantiles = new ArrayList<>();
        stored.forEach(value -> quantiles.add(value.asDouble()));
        assertThat(quantiles).isSorted();
        assertThat(quantiles.getFirst()).isPositive();

        // The same model and images, the dataset named as a query parameter this time: the same quantiles.
        Response again = http.postMultipart("/v1/models/torch-heldout-again/versions?testDataset=heldout28&testImages=40",
                files(dir), "application/json");
        assertThat(again.status()).as(again.text()).isEqualTo(201);
        assertThat(again.json().get("metrics").get(HeldOutScoring.METRIC)).isEqualTo(stored);

        float[] image = new float[TORCH_SHAPE.size()];
        heldOut.copyImage(45, image, 0);
        JsonNode score = http.postJson("/v1/models/torch-heldout/score", "{\"pixels\": [" + numbers(image) + "], \"k\": 2}")
                .json().get("scores").get(0);
        assertThat(score.get("percentile").asDouble()).isBetween(0.0, 100.0)
                .isCloseTo(HeldOutScoring.percentile(quantiles, score.get("negativeElbo").asDouble()), within(1e-9));
        // The 40 test images in one request with seed 0 get the very draws the import scored them with (one batch,
        // seeded by its index): the best and worst are the extreme quantiles, and they rank evenly from 0 to 100 (to
        // within a quantile's step, as a percentile is read off 101 quantiles, not the 40 scores).
        List<float[]> scored = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            float[] pixels = new float[TORCH_SHAPE.size()];
            heldOut.copyImage(i, pixels, 0);
            scored.add(pixels);
        }
        JsonNode ranks = http.postJson("/v1/models/torch-heldout/score", "{\"pixels\": " + Http.JSON.writeValueAsString(scored)
                + ", \"k\": 1, \"seed\": 0}").json().get("scores");
        double[] elbos = new double[40];
        double[] percentiles = new double[40];
        for (int i = 0; i < 40; i++) {
            elbos[i] = ranks.get(i).get("negativeElbo").asDouble();
            percentiles[i] = ranks.get(i).get("percentile").asDouble();
        }
        java.util.Arrays.sort(elbos);
        java.util.Arrays.sort(percentiles);
        assertThat(elbos[0]).isCloseTo(quantiles.getFirst(), within(1e-3));
        assertThat(elbos[39]).isCloseTo(quantiles.getLast(), within(1e-3));
        for (int i = 0; i < 40; i++) {
            assertThat(percentiles[i]).isCloseTo(100.0 * i / 39, within(1.0));
        }
        // Without a test dataset the import has no quantiles, and /score no percentile.
        Response plain = http.postMultipart("/v1/models/torch-plain/versions", files(dir), "application/json");
        assertThat(plain.status()).as(plain.text()).isEqualTo(201);
        assertThat(plain.json().get("metrics").has(HeldOutScoring.METRIC)).isFalse();
        JsonNode unranked = http.postJson("/v1/models/torch-plain/score", "{\"pixels\": [" + numbers(image) + "], \"k\": 2}")
                .json().get("scores").get(0);
        assertThat(unranked.has("negativeElbo")).isTrue();
        assertThat(unranked.has("percentile")).isFalse();
        for (String name : List.of("torch-heldout", "torch-heldout-again", "torch-plain")) {
            assertThat(http.delete("/v1/models/" + name + "/versions/1").status()).isEqualTo(204);
        }
    }

    @Test
    void aTestDatasetThatCannotBeScoredIsRefusedAndNothingIsPublished(@TempDir Path temp) throws IOException {
        Path dir = Fixtures.folder("torchscript/conv-vae");
        Response missing = importWith(dir, "refused", "testDataset", "no-such-data");
        assertProblem(missing, 422, "invalid-test-dataset");
        assertThat(missing.json().get("detail").asString()).contains("'no-such-data'");
        Response wrongShape = importWith(dir, "refused", "testDataset", "blobs-train");
        assertProblem(wrongShape, 422, "invalid-test-dataset");
        assertThat(wrongShape.json().get("detail").asString()).contains("'blobs-train'", "1x16x16", "1x28x28");
        Response zero = importWith(dir, "refused", "testImages", "0", "testDataset", "heldout28");
        assertProblem(zero, 422, "invalid-test-dataset");
        assertProblem(importWith(dir, "refused", "testImages", "ten", "testDataset", "heldout28"), 400, "bad-request");
        assertProblem(importWith(dir, "refused", "testImages", "10"), 400, "bad-request");

        // A VAE whose descriptor declares no likelihood has nothing to score a dataset with.
        Path noLikelihood = Fixtures.copy("torchscript/conv-vae", temp);
        Path descriptor = noLikelihood.resolve(Descriptor.FILE);
        Files.writeString(descriptor, Files.readString(descriptor).replace("{\"kind\": \"bernoulli\"}\n", "null\n"));
        Response notScorable = importWith(noLikelihood, "refused", "testDataset", "heldout28");
        assertProblem(notScorable, 422, "invalid-test-dataset");
        assertThat(notScorable.json().get("detail").asString()).contains("declares no likelihood", "leave testDataset out");
        assertProblem(http.get("/v1/models/refused"), 404, "model-not-found");
    }

    /** Imports {@code dir}'s files under {@code name} with form fields given as name, value, name, value... */
    private Response importWith(Path dir, String name, String... fields) throws IOException {
        List<Http.Part> parts = files(dir);
        for (int i = 0; i < fields.length; i += 2) {
            parts.add(field(fields[i], fields[i + 1]));
        }
        return http.postMultipart("/v1/models/" + name + "/versions", parts, "application/json");
    }

    private static List<Http.Part> files(Path dir) throws IOException {
        List<Http.Part> parts = new ArrayList<>();
        for (String file : FILES) {
            parts.add(new Http.Part("file", file, "application/octet-stream", Files.readAllBytes(dir.resolve(file))));
        }
        return parts;
    }

    private static Http.Part field(String name, String value) {
        return new Http.Part(name, null, "text/plain", value.getBytes(StandardCharsets.UTF_8));
    }

    private static String numbers(float[] values) {
        StringBuilder text = new StringBuilder("[");
        for (int i = 0; i < values.length; i++) {
            text.append(i == 0 ? "" : ",").append(values[i]);
        }
        return text.append(']').toString();
    }
}
