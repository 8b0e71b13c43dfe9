package dev.latentserve.family;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * The codes a sampling preview decodes: a level's partly drawn maps (from {@link SamplingWatch#preview}) together with
 * the levels already complete ({@link SamplingWatch#levelDone}). A one-level model previews every level; a hierarchy
 * only once every coarser level is done, since a VQ-VAE-2's top codes alone have no bottom codes to decode with.
 */
public final class PreviewCodes {

    private final LatentSpec latent;
    private final Map<String, int[][][]> done = new ConcurrentHashMap<>();

    public PreviewCodes(LatentSpec latent) {
        this.latent = latent;
    }

    /** Keeps a finished level's maps, (count, height, width), for the previews of the levels after it. */
    public void levelDone(String level, int[][][] grids) {
        done.put(level, grids);
    }

    /**
     * @param grids the level's maps so far, (count, height, width)
     * @return the latents to decode, or null while a coarser level is missing
     */
    public @Nullable Latents codes(String level, int[][][] grids) {
        if (!(latent instanceof LatentSpec.CodeHierarchy hierarchy)) {
            return new Latents.CodeGrids(Arrays.asList(grids));
        }
        Map<String, List<int[][]>> levels = new LinkedHashMap<>();
        for (String name : hierarchy.levelNames()) {
            int[][][] codes = name.equals(level) ? grids : done.get(name);
            if (codes == null) {
                return null;
            }
            levels.put(name, Arrays.asList(codes));
        }
        return new Latents.CodeHierarchy(levels);
    }
}
