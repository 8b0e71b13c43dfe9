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
        assertThat(http.delete("/v1/models/ldm/versions/1").status()).isEqualTo(204);
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
