package dev.latentserve.registry;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;

/**
 * The one answer to a version without the prior an operation needs ({@code /sample}, {@code /complete}, {@code /score},
 * a sample job): the exact fit-prior job that fits it, on the datasets the version was trained on, so that a client can
 * send it as it is.
 */
public final class MissingPriors {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private MissingPriors() {
    }

    /**
     * @param purpose what the prior is for, completing "has no prior to ...": "sample from", "complete images with",
     *     "score images with"
     */
    public static String detail(ModelManifest manifest, String purpose) {
        Map<String, Object> job = new LinkedHashMap<>();
        job.put("type", "fit-prior");
        job.put("model", manifest.reference());
        job.put("dataset", manifest.training().getOrDefault("dataset", "<training dataset id>"));
        job.put("testDataset", manifest.training().getOrDefault("testDataset", "<test dataset id>"));
        String missing = "";
        if (manifest.latent() instanceof dev.latentserve.family.LatentSpec.CodeHierarchy hierarchy) {
            List<String> levels = hierarchy.levelNames().stream().filter(level -> !hierarchy.priorLevels().contains(level)).toList();
            job.put("architecture", Map.of("levels", levels));
            missing = " for its " + String.join(" and ", levels) + " level" + (levels.size() > 1 ? "s" : "");
        }
        return "model " + manifest.reference() + " has no prior" + missing + " to " + purpose + "; fit one with POST /v1/jobs "
                + JSON.writeValueAsString(job) + ", which publishes a new version with the prior"
                + ("sample from".equals(purpose) ? ", or decode codes with /decode" : "");
    }
}
