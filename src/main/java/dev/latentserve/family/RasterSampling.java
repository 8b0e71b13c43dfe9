package dev.latentserve.family;

import dev.latentserve.family.LoadedModel.SampleOptions;
import dev.latentserve.nn.Categorical;
import java.util.Arrays;
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

        /**
         * As {@link #at(long[], int, int)}, where only the samples with {@code live[s]} still need logits: the others'
         * requests were cancelled and their values are not read. An implementation may leave those rows out of its
         * pass (and its caches); this default computes them all.
         *
         * @param live one flag per sample; the loop owns it and may clear flags between calls, never set them again
         */
        default float[] at(long[] maps, int row, int column, boolean[] live) {
            return at(maps, row, column);
        }
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
        Batch batch = new Batch(requests, level, n, cells);
        int[] likeliest = new int[n];
        for (int row = 0; row < height; row++) {
            for (int column = 0; column < width; column++) {
                int cell = row * width + column;
                batch.pollCancellations(cell);
                if (fixed != null && fixed.keptByAll(n, cells, cell)) {
                    continue;
                }
                float[] values = logits.at(maps, row, column, batch.live);
                int s = 0;
                for (int r = 0; r < requests.size(); r++) {
                    SampleOptions options = requests.get(r);
                    if (batch.stopped[r]) {
                        s += options.count();
                        continue;
                    }
                    double temperature = options.temperature(level);
                    for (int k = 0; k < options.count(); k++, s++) {
                        if (batch.previews) {
                            likeliest[s] = argmax(values, s * codes, codes);
                        }
                        if (fixed != null && fixed.kept()[s * cells + cell]) {
                            continue;
                        }
                        maps[s * cells + cell] = Categorical.gumbelMax(values, s * codes, codes, temperature, options.topK(),
                                randoms[r]);
                    }
                }
                batch.progress(cell + 1);
            }
            batch.rowDone(row + 1, height, width, maps, likeliest);
        }
        return maps;
    }

    /** The index of the largest of {@code size} values from {@code offset}; the first of equal ones. */
    private static int argmax(float[] values, int offset, int size) {
        int best = 0;
        for (int k = 1; k < size; k++) {
            if (values[offset + k] > values[offset + best]) {
                best = k;
            }
        }
        return best;
    }

    /**
     * The requests of one loop as their watches see them: which are still drawn, and what to tell each. Nothing here
     * draws random numbers, so a request's codes do not depend on whether it or another is watched or cancelled.
     */
    private static final class Batch {

        final List<SampleOptions> requests;
        final String level;
        final int cells;
        final int[] offsets;
        /** Per sample: false once its request was cancelled. */
        final boolean[] live;
        /** Per request: true once its request was cancelled. */
        final boolean[] stopped;
        final boolean previews;
        int running;

        Batch(List<SampleOptions> requests, String level, int n, int cells) {
            this.requests = requests;
            this.level = level;
            this.cells = cells;
            this.offsets = new int[requests.size()];
            for (int r = 1; r < requests.size(); r++) {
                offsets[r] = offsets[r - 1] + requests.get(r - 1).count();
            }
            this.live = new boolean[n];
            Arrays.fill(live, true);
            this.stopped = new boolean[requests.size()];
            this.previews = requests.stream().anyMatch(options -> options.watch().previewEvery() > 0);
            this.running = requests.size();
        }

        /**
         * Lets go of the requests cancelled since the last position.
         *
         * @throws SamplingCancelledException once none is left
         */
        void pollCancellations(int cell) {
            for (int r = 0; r < requests.size(); r++) {
                SampleOptions options = requests.get(r);
                if (!stopped[r] && options.watch().cancelled()) {
                    stopped[r] = true;
                    running--;
                    Arrays.fill(live, offsets[r], offsets[r] + options.count(), false);
                    options.watch().stopped(level, cell);
                }
            }
            if (running == 0 && !requests.isEmpty()) {
                throw new SamplingCancelledException(level, cell);
            }
        }

        void progress(int drawn) {
            for (int r = 0; r < requests.size(); r++) {
                if (!stopped[r]) {
                    requests.get(r).watch().progress(level, drawn, cells);
                }
            }
        }

        /** After {@code rows} complete rows: previews where due, and each request's maps once the level is done. */
        void rowDone(int rows, int height, int width, long[] maps, int[] likeliest) {
            for (int r = 0; r < requests.size(); r++) {
                SamplingWatch watch = requests.get(r).watch();
                if (stopped[r]) {
                    continue;
                }
                if (rows == height) {
                    watch.levelDone(level, slice(maps, r, height, width, rows, likeliest));
                } else if (watch.previewEvery() > 0 && rows % watch.previewEvery() == 0) {
                    watch.preview(level, rows, slice(maps, r, height, width, rows, likeliest));
                }
            }
        }

        /** Request r's maps: rows before {@code rows} as drawn, the later ones filled with each sample's likeliest code. */
        private int[][][] slice(long[] maps, int r, int height, int width, int rows, int[] likeliest) {
            int count = requests.get(r).count();
            int[][][] grids = new int[count][height][width];
            for (int i = 0; i < count; i++) {
                int s = offsets[r] + i;
                for (int row = 0; row < height; row++) {
                    for (int column = 0; column < width; column++) {
                        grids[i][row][column] = row < rows ? (int) maps[s * cells + row * width + column] : likeliest[s];
                    }
                }
            }
            return grids;
        }
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
