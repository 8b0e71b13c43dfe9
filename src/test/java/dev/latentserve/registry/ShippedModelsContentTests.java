package dev.latentserve.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * What the jar ships (issue 19): one model of each family with what it needs to sample (the VQ models' priors), each
 * version's measured sample quality for the console, and all of it under 20 MB, since every installation carries it.
 */
class ShippedModelsContentTests {

    private static final Path SHIPPED = Path.of("src/main/resources/shipped-models");

    @Test
    void shipsEveryFamilyReadyToSampleUnderTwentyMegabytes() throws IOException {
        long bytes;
        try (Stream<Path> files = Files.walk(SHIPPED)) {
            bytes = files.filter(Files::isRegularFile).mapToLong(file -> file.toFile().length()).sum();
        }
        assertThat(bytes).isLessThan(20_000_000L);

        JsonMapper json = JsonMapper.builder().build();
        // name, version, family, prior epochs in the history (the VQ-VAE-2's two priors 5 each)
        for (List<String> shipped : List.of(List.of("fashion-vae", "1", "vae", "0"), List.of("fashion-vqvae", "2", "vqvae", "5"),
                List.of("fashion-vqvae2", "2", "vqvae2", "10"))) {
            JsonNode manifest = json.readTree(SHIPPED.resolve(shipped.get(0)).resolve(shipped.get(1)).resolve("manifest.json").toFile());
            assertThat(manifest.path("family").asString()).as(shipped.get(0)).isEqualTo(shipped.get(2));
            assertThat(manifest.path("metrics").path("sampleQuality").path("temperatures").size()).as(shipped.get(0)).isEqualTo(3);
            assertThat(manifest.path("metrics").path("prior").path("history").size()).as(shipped.get(0))
                    .isEqualTo(Integer.parseInt(shipped.get(3)));
        }
    }
}
