package dev.latentserve.family;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** One check of sampling settings for /sample and sample jobs, naming each setting the way its caller sent it. */
class SamplingLimitsTests {

    private static final SamplingLimits LIMITS = new SamplingLimits(3);
    private static final LatentSpec ONE_LEVEL = new LatentSpec.CodeGrid(16, 8, List.of(7, 7), "gated-pixelcnn");
    private static final LatentSpec TWO_LEVELS = new LatentSpec.CodeHierarchy(new java.util.LinkedHashMap<>(Map.of(
            "top", new LatentSpec.CodeHierarchy.Level(8, 4, List.of(4, 4)))), new dev.latentserve.image.ImageShape(1, 8, 8), Map.of(),
            "vqvae2-priors", List.of("top"));

    @Test
    void settingsWithinTheBoundsPass() {
        assertThat(LIMITS.problem(3, 5, Map.of(), ONE_LEVEL, "")).isEmpty();
        assertThat(LIMITS.problem(1, null, Map.of("top", 0.5), TWO_LEVELS, "sample.")).isEmpty();
    }

    @Test
    void eachProblemNamesTheSettingWithTheCallersPrefix() {
        assertThat(LIMITS.problem(3.5, null, Map.of(), ONE_LEVEL, "sample.")).contains("sample.temperature must be in (0, 3.0], not 3.5");
        assertThat(LIMITS.problem(0, null, Map.of(), ONE_LEVEL, "")).contains("temperature must be in (0, 3.0], not 0.0");
        assertThat(LIMITS.problem(Double.NaN, null, Map.of(), ONE_LEVEL, "")).isPresent();
        assertThat(LIMITS.problem(1, 0, Map.of(), ONE_LEVEL, "")).contains("topK must be at least 1, not 0");
        assertThat(LIMITS.problem(1, null, Map.of("top", 1.0), ONE_LEVEL, "")).hasValueSatisfying(
                problem -> assertThat(problem).contains("this model has one level: use temperature"));
        assertThat(LIMITS.problem(1, null, Map.of("middle", 1.0), TWO_LEVELS, "")).hasValueSatisfying(
                problem -> assertThat(problem).contains("names level 'middle'; the levels are [top]"));
        assertThat(LIMITS.problem(1, null, Map.of("top", 4.0), TWO_LEVELS, "sample.")).contains(
                "sample.temperatures.top must be in (0, 3.0], not 4.0");
        Map<String, Double> nullTemperature = new HashMap<>();
        nullTemperature.put("top", null);
        assertThat(LIMITS.problem(1, null, nullTemperature, TWO_LEVELS, "sample.")).contains("sample.temperatures.top is null: send "
                + "a number in (0, 3.0], or leave the level out to sample it at sample.temperature");
    }

    @Test
    void aTopKAboveACodebookIsRefusedNamingEachLevelsSize() {
        LatentSpec twoCodebooks = new LatentSpec.CodeHierarchy(new java.util.LinkedHashMap<>(Map.of(
                "top", new LatentSpec.CodeHierarchy.Level(8, 4, List.of(4, 4)),
                "bottom", new LatentSpec.CodeHierarchy.Level(32, 4, List.of(8, 8)))), new dev.latentserve.image.ImageShape(1, 8, 8),
                Map.of(), "vqvae2-priors", List.of("top", "bottom"));
        assertThat(SamplingLimits.codebookProblem(16, ONE_LEVEL, "")).isEmpty();
        assertThat(SamplingLimits.codebookProblem(null, ONE_LEVEL, "")).isEmpty();
        assertThat(SamplingLimits.codebookProblem(17, ONE_LEVEL, "sample.")).contains("sample.topK is 17, more than the "
                + "codebook's size K: the codebook holds 16 codes; send a topK of at most 16, or none to draw among all codes");
        assertThat(SamplingLimits.codebookProblem(8, twoCodebooks, "")).isEmpty();
        assertThat(SamplingLimits.codebookProblem(9, twoCodebooks, "")).hasValueSatisfying(problem -> assertThat(problem)
                .contains("topK is 9", "top 8", "bottom 32", "at most 8"));
        assertThat(SamplingLimits.codebookProblem(1000, new LatentSpec.Gaussian(16), "")).isEmpty();
    }
}
