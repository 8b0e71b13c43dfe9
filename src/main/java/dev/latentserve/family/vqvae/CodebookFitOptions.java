package dev.latentserve.family.vqvae;

import static dev.latentserve.family.Hyperparameters.integer;
import static dev.latentserve.family.Hyperparameters.real;

import dev.latentserve.family.Hyperparameters;
import dev.latentserve.family.InvalidArchitectureException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** Options of a fit-codebook job: Lloyd iterations, encoder outputs to cluster, decoder fine-tuning steps. */
record CodebookFitOptions(int iterations, int vectors, int fineTuneSteps) {

    private static final Set<String> KEYS = Set.of("iterations", "vectors", "fineTuneSteps");

    static CodebookFitOptions from(Map<String, Object> requested) {
        Hyperparameters.checkKeys(requested, KEYS, "fit-codebook option");
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

}
