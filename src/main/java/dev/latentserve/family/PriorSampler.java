package dev.latentserve.family;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.latentserve.nn.GatedPixelCnn;
import dev.latentserve.nn.IncrementalGatedPixelCnn;
import org.jspecify.annotations.Nullable;

/**
 * Where a served model's {@link RasterSampling} gets the logits of a gated PixelCNN prior: by incremental generation
 * ({@link IncrementalGatedPixelCnn}, the default: each position computes only what changes, in plain Java) or by the
 * full pass (the prior run with DJL over the rows drawn so far at every position, the reference and the baseline).
 * Both give the same logits to float precision, so the same codes for every seed, temperature and topK.
 *
 * <p>The incremental copy of the prior's weights is made on the first draw, inside the owner's lifecycle, and kept
 * for the model's life.
 */
public final class PriorSampler {

    private final ServedModel owner;
    private final GatedPixelCnn pixelCnn;
    private final boolean incremental;
    private @Nullable IncrementalGatedPixelCnn copy;

    /**
     * @param owner the served model whose native-memory scopes the full pass runs in
     * @param pixelCnn the prior, or a conditional prior's gated PixelCNN
     * @param incremental whether to sample incrementally ({@link SamplingProperties#incremental()})
     */
    public PriorSampler(ServedModel owner, GatedPixelCnn pixelCnn, boolean incremental) {
        this.owner = owner;
        this.pixelCnn = pixelCnn;
        this.incremental = incremental;
    }

    public boolean incremental() {
        return incremental;
    }

    /**
     * The logits of an unconditional prior for one draw of {@code n} maps of {@code height x width}, incremental or by
     * the full pass as configured. One draw, one call: the incremental logits keep the draw's cache.
     */
    public RasterSampling.Logits logits(int n, int height, int width) {
        if (incremental) {
            return generation(n, height, width, null);
        }
        return fullPass(n, height, width);
    }

    /**
     * Incremental logits for one draw, with a conditional prior's conditioning features.
     *
     * @param condition (n, C', height, width) flattened, or null for an unconditional prior
     */
    public RasterSampling.Logits generation(int n, int height, int width, float @Nullable [] condition) {
        IncrementalGatedPixelCnn.Generation generation = copy().start(n, height, width, condition);
        // Told which rows are live, the generation stops computing those whose requests were cancelled.
        return new RasterSampling.Logits() {
            @Override
            public float[] at(long[] maps, int row, int column) {
                return generation.at(maps, row, column);
            }

            @Override
            public float[] at(long[] maps, int row, int column, boolean[] live) {
                return generation.at(maps, row, column, live);
            }
        };
    }

    /** The full pass: at each position the prior runs over rows 0..row of the maps and its logits at (row, column) are read. */
    private RasterSampling.Logits fullPass(int n, int height, int width) {
        return (maps, row, column) -> owner.run(scope -> {
            NDArray rows = scope.create(maps, new Shape(n, height, width)).get(new NDIndex(":, 0:{}, :", row + 1));
            NDArray out = pixelCnn.forward(ServedModel.store(scope), new NDList(rows), false).singletonOrThrow();
            return out.get(new NDIndex(":, :, {}, {}", row, column)).toFloatArray();
        });
    }

    private synchronized IncrementalGatedPixelCnn copy() {
        if (copy == null) {
            copy = owner.run(scope -> IncrementalGatedPixelCnn.of(pixelCnn));
        }
        return copy;
    }
}
