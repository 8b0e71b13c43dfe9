package dev.latentserve.family;

import dev.latentserve.family.LoadedModel.SampleOptions;
import dev.latentserve.image.ImageShape;
import java.util.List;

/**
 * Completion (inpainting) with an autoregressive prior, a capability of the loaded models of code families that have
 * one. The image is encoded to codes; the codes whose pixel footprint lies wholly in the known region are kept, the
 * others are drawn from the prior in raster order conditioned on the codes before them ({@link RasterSampling} with
 * {@link RasterSampling.Fixed} codes), and the codes are decoded. With downsampling factor f, code (i, j) covers the
 * pixels [i*f, (i+1)*f) x [j*f, (j+1)*f) of the (padded) image; pixels of the padding count as known. The decoder's
 * receptive field is wider than a code's footprint, so known pixels next to drawn codes may change, and borders blend.
 *
 * <p>When the known region is the top rows of the image, every kept code precedes every drawn one in raster order and
 * each draw is from the prior's exact conditional given all kept codes. For other regions it is an approximation: the
 * prior is causal, so a code drawn above or left of a kept one does not see it.
 *
 * <p>A hierarchical model completes its top level first, then its bottom level given the completed top.
 */
public interface Completing {

    /**
     * Completions for each call, run as one batch: one prior pass per code position for the rows of every call. Callers
     * check each call's options with {@link LoadedModel#checkSample} first (a model without a prior cannot complete).
     */
    List<Completed> complete(List<CompleteCall> calls);

    /**
     * One image to complete.
     *
     * @param image C*H*W pixels in [0, 1], already checked against the model's shape
     * @param known H*W, row-major: true where the pixel is known
     * @param options how many completions ({@code count}), their seed, temperature and topK
     */
    record CompleteCall(float[] image, boolean[] known, SampleOptions options) {
    }

    /**
     * The completions of one image.
     *
     * @param images {@code count} images, C*H*W pixels in [0, 1] each
     * @param codes their codes, in the form {@code /sample} answers (and {@code /decode} takes)
     * @param kept the codes of one image, 1 where the position was kept from the image's own codes and 0 where drawn
     */
    record Completed(float[][] images, Latents codes, Latents kept) {
    }

    /**
     * Where a level's code grid lies over the image: each code covers {@code factor} x {@code factor} pixels of the
     * image padded by {@code top} rows and {@code left} columns.
     */
    record Footprint(int factor, int top, int left) {

        /**
         * @param known H*W, row-major: true where the pixel is known
         * @return height*width, row-major: true for the codes whose whole footprint is known (padding counts as known)
         */
        public boolean[] kept(boolean[] known, ImageShape shape, int height, int width) {
            boolean[] kept = new boolean[height * width];
            for (int i = 0; i < height; i++) {
                for (int j = 0; j < width; j++) {
                    kept[i * width + j] = covered(known, shape, i, j);
                }
            }
            return kept;
        }

        private boolean covered(boolean[] known, ImageShape shape, int i, int j) {
            for (int y = i * factor - top; y < (i + 1) * factor - top; y++) {
                for (int x = j * factor - left; x < (j + 1) * factor - left; x++) {
                    boolean inside = y >= 0 && y < shape.height() && x >= 0 && x < shape.width();
                    if (inside && !known[y * shape.width() + x]) {
                        return false;
                    }
                }
            }
            return true;
        }
    }

    /**
     * Each call's codes and kept positions repeated for each of its {@code count} rows, as {@link RasterSampling} takes
     * them.
     *
     * @param codes (calls, cells) flattened: each call's encoded codes
     * @param kept one per call, cells each
     */
    static RasterSampling.Fixed fixed(List<CompleteCall> calls, long[] codes, List<boolean[]> kept, int cells) {
        int n = calls.stream().mapToInt(call -> call.options().count()).sum();
        long[] fixedCodes = new long[n * cells];
        boolean[] fixedKept = new boolean[n * cells];
        int s = 0;
        for (int r = 0; r < calls.size(); r++) {
            for (int k = 0; k < calls.get(r).options().count(); k++, s++) {
                System.arraycopy(codes, r * cells, fixedCodes, s * cells, cells);
                System.arraycopy(kept.get(r), 0, fixedKept, s * cells, cells);
            }
        }
        return new RasterSampling.Fixed(fixedCodes, fixedKept);
    }

    /** Kept positions as a grid of 1 (kept) and 0 (drawn). */
    static int[][] keptGrid(boolean[] kept, int height, int width) {
        int[][] grid = new int[height][width];
        for (int i = 0; i < height; i++) {
            for (int j = 0; j < width; j++) {
                grid[i][j] = kept[i * width + j] ? 1 : 0;
            }
        }
        return grid;
    }
}
