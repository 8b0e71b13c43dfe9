package dev.latentserve.family;

import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The bounds on sampling settings, checked in one place for {@code /sample} and for sample jobs (a {@code /sample}
 * too large to answer at once becomes a sample job, so both must take the same settings).
 *
 * @param maxTemperature the largest softmax or prior temperature taken; temperatures lie in (0, maxTemperature]
 */
public record SamplingLimits(double maxTemperature) {

    public SamplingLimits {
        if (!(maxTemperature > 0) || Double.isInfinite(maxTemperature)) {
            throw new IllegalArgumentException("the largest sampling temperature must be a positive number, not " + maxTemperature);
        }
    }

    /**
     * What is wrong with sampling {@code latent} with these settings, in words that name each setting as
     * {@code prefix + name} (e.g. {@code sample.temperature}); empty when they are fine. The count is the caller's to
     * check: its bound differs between a request answered at once and a job.
     *
     * @param temperatures per-level temperatures by level name, as the caller sent them (a null value is refused)
     */
    public Optional<String> problem(double temperature, @Nullable Integer topK, Map<String, @Nullable Double> temperatures,
            LatentSpec latent, String prefix) {
        Optional<String> problem = temperature(prefix + "temperature", temperature);
        if (problem.isPresent()) {
            return problem;
        }
        if (topK != null && topK < 1) {
            return Optional.of(prefix + "topK must be at least 1, not " + topK);
        }
        for (Map.Entry<String, @Nullable Double> level : temperatures.entrySet()) {
            if (!latent.levelNames().contains(level.getKey())) {
                return Optional.of(prefix + "temperatures names level '" + level.getKey() + "'; " + (latent.levelNames().isEmpty()
                        ? "this model has one level: use " + prefix + "temperature" : "the levels are " + latent.levelNames()));
            }
            Double value = level.getValue();
            if (value == null) {
                return Optional.of(prefix + "temperatures." + level.getKey() + " is null: send a number in (0, "
                        + maxTemperature + "], or leave the level out to sample it at " + prefix + "temperature");
            }
            problem = temperature(prefix + "temperatures." + level.getKey(), value);
            if (problem.isPresent()) {
                return problem;
            }
        }
        return Optional.empty();
    }

    /**
     * What is wrong with {@code topK} for this latent space: a topK above a level's codebook size K would draw among
     * all K codes there, silently the same as no topK, so it is refused naming each level's K. Empty when it fits or
     * when the latent space has no codebook (a VAE ignores topK).
     */
    public static Optional<String> codebookProblem(@Nullable Integer topK, LatentSpec latent, String prefix) {
        if (topK == null) {
            return Optional.empty();
        }
        Map<String, Integer> sizes = switch (latent) {
            case LatentSpec.CodeGrid grid -> Map.of("codes", grid.codes());
            case LatentSpec.CodeHierarchy hierarchy -> hierarchy.levels().entrySet().stream().collect(
                    java.util.stream.Collectors.toMap(Map.Entry::getKey, e -> e.getValue().codes(), (a, b) -> a,
                            java.util.LinkedHashMap::new));
            default -> Map.of();
        };
        if (sizes.values().stream().allMatch(k -> topK <= k)) {
            return Optional.empty();
        }
        String named = latent instanceof LatentSpec.CodeHierarchy ? "the codebooks hold " + sizes.entrySet().stream()
                .map(e -> e.getKey() + " " + e.getValue()).collect(java.util.stream.Collectors.joining(", ")) + " codes"
                : "the codebook holds " + sizes.get("codes") + " codes";
        int smallest = sizes.values().stream().mapToInt(Integer::intValue).min().orElseThrow();
        return Optional.of(prefix + "topK is " + topK + ", more than the codebook's size K: " + named + "; send a topK of at "
                + "most " + smallest + ", or none to draw among all codes");
    }

    private Optional<String> temperature(String name, double value) {
        return value > 0 && value <= maxTemperature ? Optional.empty()
                : Optional.of(name + " must be in (0, " + maxTemperature + "], not " + value);
    }
}
