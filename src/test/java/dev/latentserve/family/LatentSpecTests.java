package dev.latentserve.family;

import static org.assertj.core.api.Assertions.assertThat;

import dev.latentserve.image.ImageShape;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/** The manifest's {@code latent} field: the JSON each kind writes (pinned: it is in every manifest on disk) and reads back. */
class LatentSpecTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Test
    void aGaussianLatentWritesAndReadsItsForm() {
        assertRoundTrip(new LatentSpec.Gaussian(16), "{\"type\":\"gaussian\",\"dimension\":16}");
        LatentSpec read = JSON.readValue("{\"type\":\"gaussian\",\"dimension\":16}", LatentSpec.class);
        assertThat(read.sampling()).isEqualTo(LatentSpec.Sampling.DIRECT);
        assertThat(read.levelNames()).isEmpty();
    }

    @Test
    void aCodeGridSamplesOnlyOnceItHasAPrior() {
        LatentSpec none = new LatentSpec.CodeGrid(16, 8, List.of(7, 7), "none");
        assertRoundTrip(none, "{\"type\":\"codes\",\"codes\":16,\"codeDim\":8,\"grid\":[7,7],\"prior\":\"none\"}");
        assertThat(none.sampling()).isEqualTo(LatentSpec.Sampling.NEEDS_PRIOR);
        assertThat(new LatentSpec.CodeGrid(16, 8, List.of(7, 7), "gated-pixelcnn").sampling())
                .isEqualTo(LatentSpec.Sampling.AUTOREGRESSIVE);
    }

    @Test
    void aCodeHierarchyKeepsItsLevelsInOrder() {
        Map<String, LatentSpec.CodeHierarchy.Level> levels = new LinkedHashMap<>();
        levels.put("top", new LatentSpec.CodeHierarchy.Level(8, 4, List.of(4, 4)));
        levels.put("bottom", new LatentSpec.CodeHierarchy.Level(16, 4, List.of(8, 8)));
        Map<String, Integer> padding = new LinkedHashMap<>();
        padding.put("top", 2);
        padding.put("bottom", 2);
        padding.put("left", 2);
        padding.put("right", 2);
        LatentSpec spec = new LatentSpec.CodeHierarchy(levels, new ImageShape(1, 32, 32), padding, "vqvae2-priors", List.of("top", "bottom"));
        assertRoundTrip(spec, "{\"type\":\"code-hierarchy\",\"levels\":{\"top\":{\"codes\":8,\"codeDim\":4,\"grid\":[4,4]},"
                + "\"bottom\":{\"codes\":16,\"codeDim\":4,\"grid\":[8,8]}},\"paddedShape\":{\"channels\":1,\"height\":32,\"width\":32},"
                + "\"padding\":{\"top\":2,\"bottom\":2,\"left\":2,\"right\":2},\"prior\":\"vqvae2-priors\",\"priorLevels\":[\"top\",\"bottom\"]}");
        assertThat(spec.levelNames()).containsExactly("top", "bottom");
        assertThat(spec.sampling()).isEqualTo(LatentSpec.Sampling.AUTOREGRESSIVE);
    }

    @Test
    void aSpatialGaussianLatentHasItsOwnForm() {
        LatentSpec.SpatialGaussian spec = new LatentSpec.SpatialGaussian(4, List.of(7, 7));
        assertRoundTrip(spec, "{\"type\":\"spatial-gaussian\",\"channels\":4,\"grid\":[7,7]}");
        assertThat(spec.size()).isEqualTo(196);
        assertThat(spec.sampling()).isEqualTo(LatentSpec.Sampling.DIRECT);
    }

    private static void assertRoundTrip(LatentSpec spec, String json) {
        assertThat(JSON.writeValueAsString(spec)).isEqualTo(json);
        assertThat(JSON.readValue(json, LatentSpec.class)).isEqualTo(spec);
    }
}
