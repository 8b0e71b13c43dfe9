package dev.latentserve.family;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.latentserve.image.ImageShape;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/** Each kind of latents has one JSON form, which a caller can send back to be read as the same latents. */
class LatentsTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final LatentSpec GRID = new LatentSpec.CodeGrid(4, 2, List.of(1, 2), "none");
    private static final LatentSpec HIERARCHY = hierarchySpec();

    @Test
    void codeGridsAreAListOfGridsAndReadBackAsTheSame() {
        Latents.CodeGrids grids = new Latents.CodeGrids(List.of(new int[][] {{0, 1}}, new int[][] {{2, 3}}));
        String json = JSON.writeValueAsString(grids);
        assertThat(json).isEqualTo("[[[0,1]],[[2,3]]]");
        Latents read = Latents.parseCodes(JSON.readValue(json, Object.class), GRID);
        assertThat(read).usingRecursiveComparison().isEqualTo(grids);
        assertThat(JSON.writeValueAsString(grids.json(1))).isEqualTo("[[2,3]]");
    }

    @Test
    void aCodeHierarchyIsOneListPerLevelAndAnImageIsOneGridPerLevel() {
        Latents.CodeHierarchy codes = hierarchy(List.of(new int[][] {{1}}, new int[][] {{2}}),
                List.of(new int[][] {{3, 4}}, new int[][] {{5, 6}}));
        String json = JSON.writeValueAsString(codes);
        assertThat(json).isEqualTo("{\"top\":[[[1]],[[2]]],\"bottom\":[[[3,4]],[[5,6]]]}");
        assertThat(Latents.parseCodes(JSON.readValue(json, Object.class), HIERARCHY)).usingRecursiveComparison().isEqualTo(codes);
        assertThat(JSON.writeValueAsString(codes.json(1))).isEqualTo("{\"top\":[[2]],\"bottom\":[[5,6]]}");
        assertThat(JSON.writeValueAsString(codes.slice(1, 2))).isEqualTo("{\"top\":[[[2]]],\"bottom\":[[[5,6]]]}");
    }

    @Test
    void chunksJoinIntoTheFormOfOneBatch() {
        Latents joined = Latents.concat(List.of(hierarchy(List.<int[][]>of(new int[][] {{1}}), List.<int[][]>of(new int[][] {{3, 4}})),
                hierarchy(List.<int[][]>of(new int[][] {{2}}), List.<int[][]>of(new int[][] {{5, 6}}))));
        assertThat(joined.count()).isEqualTo(2);
        assertThat(JSON.writeValueAsString(joined)).isEqualTo("{\"top\":[[[1]],[[2]]],\"bottom\":[[[3,4]],[[5,6]]]}");
        Latents vectors = Latents.concat(List.of(new Latents.GaussianVectors(List.of(new float[] {1f})),
                new Latents.GaussianVectors(List.of(new float[] {2f}, new float[] {3f}))));
        assertThat(JSON.writeValueAsString(vectors)).isEqualTo("[[1.0],[2.0],[3.0]]");
        assertThatThrownBy(() -> Latents.concat(List.of(vectors, new Latents.CodeGrids(List.of()))))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void posteriorsWriteMeanLogVarianceAndZPerImage() {
        Latents posteriors = new Latents.GaussianPosteriors(List.of(new Latents.GaussianPosteriors.Posterior(
                new float[] {0.5f}, new float[] {-1f}, new float[] {0.5f})));
        assertThat(JSON.writeValueAsString(posteriors)).isEqualTo("[{\"mean\":[0.5],\"logVariance\":[-1.0],\"z\":[0.5]}]");
    }

    @Test
    void aMalformedFormIsABadRequestAndTheOtherFormDoesNotFitTheModel() {
        assertKind(() -> Latents.parseCodes(List.of(List.of(List.of(0.5))), GRID), InvalidInferenceInputException.Kind.MALFORMED_CODES,
                "codes[0][0][0] must be an integer code, not 0.5");
        assertKind(() -> Latents.parseCodes("abc", GRID), InvalidInferenceInputException.Kind.MALFORMED_CODES, "list of grids");
        assertKind(() -> Latents.parseCodes(Map.of("top", List.of()), HIERARCHY), InvalidInferenceInputException.Kind.MALFORMED_CODES,
                "exactly the keys top and bottom");
        assertKind(() -> Latents.parseCodes(List.of(), HIERARCHY), InvalidInferenceInputException.Kind.INVALID_LATENT,
                "\"top\": [1x1 grid, ...], \"bottom\": [1x2 grid, ...]");
        assertKind(() -> Latents.parseCodes(Map.of("top", List.of()), GRID), InvalidInferenceInputException.Kind.INVALID_LATENT,
                "one level of codes");
        assertKind(() -> Latents.parseCodes(List.of(), new LatentSpec.Gaussian(3)), InvalidInferenceInputException.Kind.INVALID_LATENT,
                "not codes");
    }

    @Test
    void aDecodeRequestIsReadAsTheKindItSends() {
        assertThat(Latents.fromRequest(List.of(Latents.Sent.flat(new float[] {1f})), null, null, new LatentSpec.Gaussian(1)))
                .isInstanceOf(Latents.GaussianVectors.class);
        assertThat(Latents.fromRequest(null, null, List.of(new float[8]), GRID)).isInstanceOf(Latents.UnquantisedVectors.class);
        assertThat(Latents.fromRequest(null, List.of(List.of(List.of(1, 2))), null, GRID).count()).isEqualTo(1);
        // A null vector is the model's to refuse (422, naming it), not a crash here.
        assertThat(Latents.fromRequest(java.util.Arrays.asList((Latents.Sent) null), null, null, new LatentSpec.Gaussian(1)).count())
                .isEqualTo(1);
    }

    @Test
    void aSpatialLatentIsWrittenNestedAsItsMapAndReadNestedOrFlat() {
        Latents.MapShape shape = new Latents.MapShape(2, 1, 3);
        float[] z = {1, 2, 3, 4, 5, 6};
        Latents.GaussianMaps maps = new Latents.GaussianMaps(List.of(z), shape);
        assertThat(JSON.writeValueAsString(maps)).isEqualTo("[[[[1.0,2.0,3.0]],[[4.0,5.0,6.0]]]]");
        Latents posteriors = new Latents.GaussianMapPosteriors(List.of(new Latents.GaussianPosteriors.Posterior(z, z, z)), shape);
        assertThat(JSON.writeValueAsString(posteriors.json(0))).isEqualTo("{\"mean\":[[[1.0,2.0,3.0]],[[4.0,5.0,6.0]]],"
                + "\"logVariance\":[[[1.0,2.0,3.0]],[[4.0,5.0,6.0]]],\"z\":[[[1.0,2.0,3.0]],[[4.0,5.0,6.0]]]}");
        LatentSpec spatial = new LatentSpec.SpatialGaussian(2, List.of(1, 3));
        Latents nested = Latents.fromRequest(List.of(new Latents.Sent(z, new int[] {2, 1, 3})), null, null, spatial);
        Latents flat = Latents.fromRequest(List.of(Latents.Sent.flat(z)), null, null, spatial);
        assertThat(nested).usingRecursiveComparison().isEqualTo(maps);
        assertThat(flat).usingRecursiveComparison().isEqualTo(maps);
        assertThat(Latents.concat(List.of(maps, maps.slice(0, 1))).count()).isEqualTo(2);
        assertKind(() -> Latents.fromRequest(List.of(new Latents.Sent(z, new int[] {1, 3, 2})), null, null, spatial),
                InvalidInferenceInputException.Kind.INVALID_LATENT, "latent 0 is nested 1x3x2; this model's latents are 2x1x3 maps");
        assertKind(() -> Latents.fromRequest(List.of(new Latents.Sent(z, new int[] {2, 1, 3})), null, null, new LatentSpec.Gaussian(6)),
                InvalidInferenceInputException.Kind.INVALID_LATENT, "latents are vectors");
    }

    private static void assertKind(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, InvalidInferenceInputException.Kind kind,
            String message) {
        assertThatThrownBy(call).isInstanceOfSatisfying(InvalidInferenceInputException.class,
                e -> assertThat(e.kind()).isEqualTo(kind)).hasMessageContaining(message);
    }

    private static Latents.CodeHierarchy hierarchy(List<int[][]> top, List<int[][]> bottom) {
        Map<String, List<int[][]>> levels = new LinkedHashMap<>();
        levels.put("top", top);
        levels.put("bottom", bottom);
        return new Latents.CodeHierarchy(levels);
    }

    private static LatentSpec hierarchySpec() {
        Map<String, LatentSpec.CodeHierarchy.Level> levels = new LinkedHashMap<>();
        levels.put("top", new LatentSpec.CodeHierarchy.Level(4, 2, List.of(1, 1)));
        levels.put("bottom", new LatentSpec.CodeHierarchy.Level(4, 2, List.of(1, 2)));
        return new LatentSpec.CodeHierarchy(levels, new ImageShape(1, 8, 8), Map.of(), "none", List.of());
    }
}
