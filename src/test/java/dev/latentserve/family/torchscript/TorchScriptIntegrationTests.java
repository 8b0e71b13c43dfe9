package dev.latentserve.family.torchscript;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.latentserve.testing.ApiIntegrationSupport;
import dev.latentserve.testing.Http;
import dev.latentserve.testing.Http.Response;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * A latent-diffusion style VAE exported from PyTorch, imported through the API and served: its spatial latents travel
 * nested as 4 channels of 7 rows of 7, and what /encode answers decodes through /decode to PyTorch's pixels.
 */
class TorchScriptIntegrationTests extends ApiIntegrationSupport {

    private static final List<String> FILES = List.of("latentserve-model.json", "encoder.pt", "decoder.pt");

    @Test
    void anImportedSpatialVaeEncodesToNestedLatentsThatDecodeAsInPyTorch() throws IOException {
        Path dir = Fixtures.folder("torchscript/spatial-vae");
        Response imported = importFiles("ldm", dir);
        assertThat(imported.status()).as(imported.text()).isEqualTo(201);
        JsonNode manifest = imported.json();
        assertThat(manifest.get("family").asString()).isEqualTo("torchscript");
        assertThat(manifest.get("latent").get("type").asString()).isEqualTo("spatial-gaussian");
        assertThat(manifest.get("latent").get("channels").asInt()).isEqualTo(4);

        float[] image = Fixtures.floatRows(dir.resolve("probe-images.npy"))[0];
        float[] expected = Fixtures.floatRows(dir.resolve("expected-decoded.npy"))[0];
        JsonNode encoded = http.postJson("/v1/models/ldm/encode", "{\"pixels\": [" + numbers(image) + "]}").json();
        JsonNode mean = encoded.get("latents").get(0).get("mean");
        assertThat(mean).hasSize(4);
        assertThat(mean.get(3)).hasSize(7).allSatisfy(row -> assertThat(row).hasSize(7));

        // /encode's answer goes back to /decode as it is; the same numbers flat decode the same.
        Response nested = http.postJson("/v1/models/ldm/decode", "{\"latents\": " + encoded.get("latents") + ", \"includePixels\": true}");
        assertThat(nested.status()).as(nested.text()).isEqualTo(200);
        assertThat(pixels(nested)).containsExactly(expected, within(1e-4f));
        List<Float> flat = new ArrayList<>();
        mean.forEach(channel -> channel.forEach(row -> row.forEach(value -> flat.add(value.floatValue()))));
        Response fromFlat = http.postJson("/v1/models/ldm/decode", "{\"latents\": [" + flat + "], \"includePixels\": true}");
        assertThat(pixels(fromFlat)).containsExactly(pixels(nested));

        Http.assertProblem(http.postJson("/v1/models/ldm/decode", "{\"latents\": [[[[0]]]]}"), 422, "invalid-latent");
        JsonNode sampled = http.postJson("/v1/models/ldm/sample", "{\"count\": 2, \"seed\": 1}").json();
        assertThat(sampled.get("latents")).hasSize(2).allSatisfy(z -> assertThat(z).hasSize(4));
        JsonNode reconstructed = http.postJson("/v1/models/ldm/reconstruct", "{\"pixels\": [" + numbers(image) + "]}").json();
        assertThat(reconstructed.get("reconstructions").get(0).get("negativeElbo").isNumber()).isTrue();

        // /interpolate walks between the two posterior means, each step a nested map as /sample answers it.
        float[][] probes = Fixtures.floatRows(dir.resolve("probe-images.npy"));
        String two = "{\"pixels\": [" + numbers(probes[0]) + ", " + numbers(probes[1]) + "]";
        JsonNode path = http.postJson("/v1/models/ldm/interpolate", two + ", \"steps\": 3, \"method\": \"slerp\"}").json();
        assertThat(path.get("latents")).hasSize(3).allSatisfy(z -> assertThat(z).hasSize(4));
        JsonNode posteriors = http.postJson("/v1/models/ldm/encode", two + "}").json().get("latents");
        assertThat(path.get("latents").get(0)).isEqualTo(posteriors.get(0).get("mean"));
        assertThat(path.get("latents").get(2)).isEqualTo(posteriors.get(1).get("mean"));
        JsonNode seeds = http.postJson("/v1/models/ldm/interpolate", "{\"seeds\": [3, 4], \"steps\": 2}").json();
        assertThat(seeds.get("latents").get(1))
                .isEqualTo(http.postJson("/v1/models/ldm/sample", "{\"count\": 1, \"seed\": 4}").json().get("latents").get(0));
        Http.assertProblem(http.postJson("/v1/models/ldm/interpolate", "{\"latents\": [[0, 0], [0, 0]]}"), 422, "invalid-latent");
        assertThat(http.delete("/v1/models/ldm/versions/1").status()).isEqualTo(204);
    }

    @Test
    void anImportedVaeArchiveServesPyTorchsNumbersAndMovesToAnotherInstallationUnchanged() throws IOException {
        Path dir = Fixtures.folder("torchscript/conv-vae");
        Response imported = http.postMultipart("/v1/models/torch-vae/versions", List.of(new Http.Part("archive", "conv-vae.zip",
                "application/zip", zip(dir, FILES))), "application/json");
        assertThat(imported.status()).as(imported.text()).isEqualTo(201);
        assertThat(imported.json().get("latent").get("dimension").asInt()).isEqualTo(16);
        assertThat(imported.json().get("training").get("type").asString()).isEqualTo("import");

        float[][] images = Fixtures.floatRows(dir.resolve("probe-images.npy"));
        float[][] expectedMean = Fixtures.floatRows(dir.resolve("expected-mean.npy"));
        float[][] expectedPixels = Fixtures.floatRows(dir.resolve("expected-decoded.npy"));
        String pixels = "{\"pixels\": [" + numbers(images[0]) + ", " + numbers(images[1]) + "]}";
        JsonNode latents = http.postJson("/v1/models/torch-vae/encode", pixels).json().get("latents");
        for (int i = 0; i < 2; i++) {
            float[] mean = new float[16];
            for (int j = 0; j < 16; j++) {
                mean[j] = latents.get(i).get("mean").get(j).floatValue();
            }
            assertThat(mean).containsExactly(expectedMean[i], within(1e-4f));
        }
        Response decoded = http.postJson("/v1/models/torch-vae/decode", "{\"latents\": " + latents + ", \"includePixels\": true}");
        assertThat(pixels(decoded)).containsExactly(expectedPixels[0], within(1e-4f));
        assertThat(http.postJson("/v1/models/torch-vae/sample", "{\"count\": 3, \"seed\": 2}").json().get("latents")).hasSize(3);
        assertThat(http.postJson("/v1/models/torch-vae/reconstruct", pixels).json().get("reconstructions"))
                .allSatisfy(r -> assertThat(r.get("negativeElbo").asDouble()).isPositive());

        Response archive = http.get("/v1/models/torch-vae/versions/1/archive", "application/zip");
        assertThat(archive.status()).isEqualTo(200);
        Response moved = http.postMultipart("/v1/models/torch-vae-moved/versions", List.of(new Http.Part("archive", "a.zip",
                "application/zip", archive.body())), "application/json");
        assertThat(moved.status()).as(moved.text()).isEqualTo(201);
        assertThat(moved.json().get("family").asString()).isEqualTo("torchscript");
        assertThat(moved.json().get("training").get("importedFrom").get("model").asString()).isEqualTo("torch-vae@1");
        Response again = http.postJson("/v1/models/torch-vae-moved/decode", "{\"latents\": " + latents + ", \"includePixels\": true}");
        assertThat(pixels(again)).containsExactly(pixels(decoded));
        assertThat(http.postJson("/v1/models/torch-vae-moved/sample", "{\"count\": 3, \"seed\": 2}").json().get("images"))
                .isEqualTo(http.postJson("/v1/models/torch-vae/sample", "{\"count\": 3, \"seed\": 2}").json().get("images"));

        // The model is a torchscript VAE now: training a VAE of this service under its name is refused.
        Response otherFamily = http.postJson("/v1/jobs", "{\"type\": \"train\", \"model\": \"torch-vae\", \"family\": \"vae\", "
                + "\"dataset\": \"" + trainId + "\"}");
        Http.assertProblem(otherFamily, 422, "invalid-job");
        assertThat(http.delete("/v1/models/torch-vae/versions/1").status()).isEqualTo(204);
        assertThat(http.delete("/v1/models/torch-vae-moved/versions/1").status()).isEqualTo(204);
    }

    @Test
    void anImportedVqVaeGivesPyTorchsCodesAndRefusesToSampleUntilAPriorIsFitted() throws IOException {
        Path dir = Fixtures.folder("torchscript/vqvae");
        List<Http.Part> parts = new ArrayList<>();
        for (String file : List.of("latentserve-model.json", "encoder.pt", "decoder.pt", "codebook.npy")) {
            parts.add(new Http.Part("file", file, "application/octet-stream", Files.readAllBytes(dir.resolve(file))));
        }
        Response imported = http.postMultipart("/v1/models/torch-vq/versions", parts, "application/json");
        assertThat(imported.status()).as(imported.text()).isEqualTo(201);
        assertThat(imported.json().get("latent").get("codes").asInt()).isEqualTo(64);

        float[][] images = Fixtures.floatRows(dir.resolve("probe-images.npy"));
        JsonNode codes = http.postJson("/v1/models/torch-vq/encode", "{\"pixels\": [" + numbers(images[0]) + "]}").json().get("codes");
        assertThat(codes.get(0)).hasSize(7);
        Response decoded = http.postJson("/v1/models/torch-vq/decode", "{\"codes\": " + codes + ", \"includePixels\": true}");
        assertThat(pixels(decoded)).containsExactly(Fixtures.floatRows(dir.resolve("expected-decoded.npy"))[0], within(1e-4f));
        Response noPrior = http.postJson("/v1/models/torch-vq/sample", "{\"count\": 1}");
        Http.assertProblem(noPrior, 409, "no-prior");
        assertThat(noPrior.json().get("detail").asString()).contains("fit-prior", "torch-vq@1");
        // /interpolate walks between the encoder outputs of two images, each step quantised: the ends are their codes.
        String two = "{\"pixels\": [" + numbers(images[0]) + ", " + numbers(images[1]) + "]";
        JsonNode path = http.postJson("/v1/models/torch-vq/interpolate", two + ", \"steps\": 4}").json().get("codes");
        JsonNode both = http.postJson("/v1/models/torch-vq/encode", two + "}").json().get("codes");
        assertThat(path).hasSize(4);
        assertThat(path.get(0)).isEqualTo(both.get(0));
        assertThat(path.get(3)).isEqualTo(both.get(1));
        Http.assertProblem(http.postJson("/v1/models/torch-vq/interpolate", "{\"seeds\": [1, 2]}"), 422, "invalid-latent");

        // A codebook of another D than the encoder's vectors is refused, naming both.
        parts.set(3, new Http.Part("file", "codebook.npy", "application/octet-stream",
                Files.readAllBytes(Fixtures.folder("torchscript/bad").resolve("codebook-wrong-d.npy"))));
        Response wrongD = http.postMultipart("/v1/models/torch-vq-bad/versions", parts, "application/json");
        Http.assertProblem(wrongD, 422, "invalid-import");
        assertThat(wrongD.json().get("detail").asString()).contains("33", "32");
        assertThat(http.delete("/v1/models/torch-vq/versions/1").status()).isEqualTo(204);
    }

    private static byte[] zip(Path dir, List<String> files) throws IOException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.util.zip.ZipOutputStream zip = new java.util.zip.ZipOutputStream(bytes)) {
            for (String file : files) {
                zip.putNextEntry(new java.util.zip.ZipEntry("conv-vae/" + file));
                zip.write(Files.readAllBytes(dir.resolve(file)));
                zip.closeEntry();
            }
        }
        return bytes.toByteArray();
    }

    @Test
    void anExportWhoseDecoderAnswersNaNIsRefusedSayingSo() throws IOException {
        Response refused = importFiles("broken", Fixtures.folder("torchscript/bad/nan-decoder"));
        Http.assertProblem(refused, 422, "invalid-import");
        assertThat(refused.json().get("detail").asString()).startsWith("decoder.pt answers NaN");
        Http.assertProblem(http.get("/v1/models/broken"), 404, "model-not-found");
    }

    private Response importFiles(String name, Path dir) throws IOException {
        List<Http.Part> parts = new ArrayList<>();
        for (String file : FILES) {
            parts.add(new Http.Part("file", file, "application/octet-stream", Files.readAllBytes(dir.resolve(file))));
        }
        return http.postMultipart("/v1/models/" + name + "/versions", parts, "application/json");
    }

    private static float[] pixels(Response response) {
        JsonNode values = response.json().get("images").get(0).get("pixels");
        float[] pixels = new float[values.size()];
        IntStream.range(0, pixels.length).forEach(i -> pixels[i] = values.get(i).floatValue());
        return pixels;
    }

    private static String numbers(float[] values) {
        return "[" + IntStream.range(0, values.length).mapToObj(i -> Float.toString(values[i])).collect(Collectors.joining(","))
                + "]";
    }
}
