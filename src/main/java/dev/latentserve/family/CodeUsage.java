package dev.latentserve.family;

import dev.latentserve.family.LoadedModel.EncodeCall;
import dev.latentserve.family.LoadedModel.EncodeOptions;
import dev.latentserve.image.ImageData;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How often each code of a vector-quantised model is the nearest one over a test set: the codebook usage histogram
 * the console draws beside the perplexity (a codebook whose codes go unused wastes capacity; van den Oord et al. 2017).
 * Stored in the manifest's metrics under {@value #METRIC}: for one level a list of K counts, for a hierarchy an object
 * of such lists by level name.
 */
public final class CodeUsage {

    public static final String METRIC = "codeUsage";
    /** Images encoded at once: bounded memory whatever the test set's size. */
    static final int BATCH = 500;

    private CodeUsage() {
    }

    /**
     * @param latent the version's latent space; a Gaussian one has no codes
     * @return {@value #METRIC} with the counts, or no entry for a model without codes or an empty test set
     */
    public static Map<String, Object> metrics(LoadedModel model, LatentSpec latent, ImageData test) {
        Map<String, Integer> sizes = switch (latent) {
            case LatentSpec.CodeGrid grid -> Map.of("codes", grid.codes());
            case LatentSpec.CodeHierarchy hierarchy -> {
                Map<String, Integer> levels = new LinkedHashMap<>();
                hierarchy.levels().forEach((name, level) -> levels.put(name, level.codes()));
                yield levels;
            }
            default -> Map.of();
        };
        if (sizes.isEmpty() || test.count() == 0) {
            return Map.of();
        }
        Map<String, long[]> counts = new LinkedHashMap<>();
        sizes.forEach((name, codes) -> counts.put(name, new long[codes]));
        for (int from = 0; from < test.count(); from += BATCH) {
            int to = Math.min(test.count(), from + BATCH);
            float[][] images = test.images(from, to);
            Latents codes = model.encode(List.of(new EncodeCall(images, new EncodeOptions(false, 0, false)))).getFirst().latents();
            switch (codes) {
                case Latents.CodeGrids grids -> count(grids.grids(), counts.get("codes"));
                case Latents.CodeHierarchy hierarchy -> hierarchy.levels().forEach((name, grids) -> count(grids, counts.get(name)));
                default -> throw new IllegalStateException("a model of " + latent + " encoded to " + codes.getClass().getSimpleName());
            }
        }
        if (latent instanceof LatentSpec.CodeGrid) {
            return Map.of(METRIC, list(counts.get("codes")));
        }
        Map<String, Object> levels = new LinkedHashMap<>();
        counts.forEach((name, histogram) -> levels.put(name, list(histogram)));
        return Map.of(METRIC, levels);
    }

    private static void count(List<int[][]> grids, long[] histogram) {
        for (int[][] grid : grids) {
            for (int[] row : grid) {
                for (int code : row) {
                    histogram[code]++;
                }
            }
        }
    }

    private static List<Long> list(long[] counts) {
        List<Long> list = new ArrayList<>(counts.length);
        for (long count : counts) {
            list.add(count);
        }
        return list;
    }
}
