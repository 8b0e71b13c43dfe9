package dev.latentserve.family.vqvae;

import dev.latentserve.family.InvalidArchitectureException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** Options of a fit-codebook job: Lloyd iterations, encoder outputs to cluster, decoder fine-tuning steps. */
record CodebookFitOptions(int iterations, int vectors, int fineTuneSteps) {

    private static final Set<String> KEYS = Set.of("iterations", "vectors", "fineTuneSteps");

    static CodebookFitOptions from(Map<String, Object> requested) {
        for (String key : requested.keySet()) {
            if (!KEYS.contains(key)) {
                throw new InvalidArchitectureException("unknown fit-codebook option '" + key + "'; known: " + KEYS);
            }
        }
        return new CodebookFitOptions(integer(requested, "iterations", 25, 1, 1000), integer(requested, "vectors", 100_000, 16, 2_000_000),
                integer(requested, "fineTuneSteps", 0, 0, 1_000_000));
    }

    Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("iterations", iterations);
        map.put("vectors", vectors);
        map.put("fineTuneSteps", fineTuneSteps);
        return map;
    }

    private static int integer(Map<String, Object> map, String key, int fallback, int min, int max) {
        Object value = map.get(key);
        if (value == null) {
            return fallback;
        }
        if (!(value instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue()) || n.intValue() < min
                || n.intValue() > max) {
            throw new InvalidArchitectureException(key + " must be an integer within " + min + ".." + max + ", not " + value);
        }
        return n.intValue();
    }
}
