package dev.latentserve.family;

import dev.latentserve.family.LoadedModel.SampleOptions;
import dev.latentserve.nn.Categorical;
import java.util.List;
import java.util.SplittableRandom;
import org.jspecify.annotations.Nullable;

/**
 * Ancestral sampling of code maps from an autoregressive prior in raster order: one prior pass per position over
 * the samples of every request in the batch, then a draw per sample from softmax(logits / temperature), restricted
 * to the topK largest when asked, by the Gumbel-max trick (DJL's PyTorch engine has no multinomial). Each request
 * draws from its own generator, so its codes are those it gets when it runs alone.
 */
public final class RasterSampling {

    private RasterSampling() {
    }

    /** The prior's logits for every sample at one position, given the codes drawn so far. */
    @FunctionalInterface
    public interface Logits {

        /**
         * @param maps the code maps so far, (samples, height, width) flattened; positions after (row, column) are 0
         * @return K logits per sample, sample-major
         */
        float[] at(long[] maps, int row, int column);
    }

    /**
     * @param level the level whose temperature each request uses ({@link SampleOptions#temperature(String)})
     * @param randoms one generator per request, advanced by the draws
     * @return the code maps, (samples, height, width) flattened, requests in order
     */
    public static long[] draw(List<SampleOptions> requests, String level, SplittableRandom[] randoms, int height, int width,
            int codes, Logits logits) {
        return draw(requests, level, randoms, height, width, codes, null, logits);
    }

    /**
     * Codes some of which are given: where {@code fixed} keeps a sample's position, the sample takes the kept code and
     * draws nothing (its generator is not advanced); elsewhere it draws as {@link #draw(List, String, SplittableRandom[],
     * int, int, int, Logits)} does, conditioned on every code before it in raster order, kept or drawn. A position every
     * sample keeps costs no prior pass. Conditioning is exact when every kept code comes before every drawn one in raster
     * order (a known top part); a kept code after a drawn one is not seen by the (causal) prior when that one is drawn.
     *
     * @param fixed the kept codes, or null for none
     */
    public static long[] draw(List<SampleOptions> requests, String level, SplittableRandom[] randoms, int height, int width,
            int codes, @Nullable Fixed fixed, Logits logits) {
        int n = requests.stream().mapToInt(SampleOptions::count).sum();
        int cells = height * width;
        long[] maps = new long[n * cells];
        if (fixed != null) {
            if (fixed.codes().length != maps.length || fixed.kept().length != maps.length) {
                throw new IllegalArgumentException("fixed codes for " + fixed.codes().length / Math.max(cells, 1)
                        + " maps, sampling " + n);
            }
            for (int i = 0; i < maps.length; i++) {
                maps[i] = fixed.kept()[i] ? fixed.codes()[i] : 0;
            }
        }
        for (int row = 0; row < height; row++) {
            for (int column = 0; column < width; column++) {
                int cell = row * width + column;
                if (fixed != null && fixed.keptByAll(n, cells, cell)) {
                    continue;
                }
                float[] values = logits.at(maps, row, column);
                int s = 0;
                for (int r = 0; r < requests.size(); r++) {
                    SampleOptions options = requests.get(r);
                    double temperature = options.temperature(level);
                    for (int k = 0; k < options.count(); k++, s++) {
                        if (fixed != null && fixed.kept()[s * cells + cell]) {
                            continue;
                        }
                        maps[s * cells + cell] = Categorical.gumbelMax(values, s * codes, codes, temperature, options.topK(),
                                randoms[r]);
                    }
                }
            }
        }
        return maps;
    }

    /**
     * Codes to keep while sampling the others.
     *
     * @param codes (samples, height, width) flattened; read only where {@code kept}
     * @param kept (samples, height, width) flattened: true where the sample keeps its code
     */
    public record Fixed(long[] codes, boolean[] kept) {

        private boolean keptByAll(int n, int cells, int cell) {
            for (int s = 0; s < n; s++) {
                if (!kept[s * cells + cell]) {
                    return false;
                }
            }
            return true;
        }
    }

    /** One generator per request, seeded by its seed. */
    public static SplittableRandom[] generators(List<SampleOptions> requests) {
        return requests.stream().map(options -> new SplittableRandom(options.seed())).toArray(SplittableRandom[]::new);
    }

    /** Flattened (n, height, width) codes as n grids. */
    public static int[][][] grids(long[] flat, int n, int height, int width) {
        int[][][] grids = new int[n][height][width];
        for (int i = 0, at = 0; i < n; i++) {
            for (int r = 0; r < height; r++) {
                for (int c = 0; c < width; c++) {
                    grids[i][r][c] = (int) flat[at++];
                }
            }
        }
        return grids;
    }
}
