package dev.latentserve.family.vqvae;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.latentserve.family.InvalidInferenceInputException;
import dev.latentserve.family.InvalidInferenceInputException.Kind;
import dev.latentserve.family.ServedModel;
import dev.latentserve.family.NoPriorException;
import dev.latentserve.image.ImageShape;
import dev.latentserve.nn.Categorical;
import dev.latentserve.nn.GatedPixelCnn;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import java.util.SplittableRandom;
import org.jspecify.annotations.Nullable;
import java.util.ArrayList;
import java.util.List;

/**
 * A trained VQ-VAE held for serving: images to code grids and back. Every call runs in its own child
 * NDManager, closed before returning. Decoded images are clamped to [0, 1].
 */
final class VqVaeModel extends ServedModel {

    private final VqVae net;
    private final @Nullable Model prior;
    private final int gridHeight;
    private final int gridWidth;

    VqVaeModel(Model model, VqVae net, @Nullable Model prior) {
        super(model, prior);
        this.net = net;
        this.prior = prior;
        this.gridHeight = net.architecture().gridHeight(net.imageShape());
        this.gridWidth = net.architecture().gridWidth(net.imageShape());
    }

    @Override
    public ImageShape shape() {
        return net.imageShape();
    }

    /**
     * Ancestral sampling in raster order: one batched prior pass per position over all requested samples (over
     * the rows up to the current one), then a draw from softmax(logits / temperature), restricted to the topK largest when asked, by the
     * Gumbel-max trick (DJL's PyTorch engine has no multinomial) from a generator seeded per request.
     */
    @Override
    public Sampled sample(SampleOptions options) {
        Model priorModel = prior;
        if (priorModel == null) {
            throw new NoPriorException("this VQ-VAE has no prior over its " + gridHeight + "x" + gridWidth
                    + " code grids to sample from; fit one with a job {\"type\": \"fit-prior\", \"model\": \"<name>@<version>\", "
                    + "\"dataset\": \"<id>\"}, which publishes a new version with the prior, or decode code grids with /decode");
        }
        int n = options.count();
        int codes = net.architecture().codes();
        int cells = gridHeight * gridWidth;
        long[] grid = new long[n * cells];
        SplittableRandom random = new SplittableRandom(options.seed());
        GatedPixelCnn block = (GatedPixelCnn) priorModel.getBlock();
        for (int i = 0; i < gridHeight; i++) {
            for (int j = 0; j < gridWidth; j++) {
                int row = i;
                int column = j;
                float[] logits = run(scope -> {
                    // By causality the logits of row i depend on rows 0..i only: the rows below are never computed.
                    NDArray maps = scope.create(grid, new Shape(n, gridHeight, gridWidth)).get(new NDIndex(":, 0:{}, :", row + 1));
                    NDArray out = block.forward(store(scope), new NDList(maps), false).singletonOrThrow();
                    return out.get(new NDIndex(":, :, {}, {}", row, column)).toFloatArray();
                });
                for (int s = 0; s < n; s++) {
                    grid[s * cells + i * gridWidth + j] = Categorical.gumbelMax(logits, s * codes, codes, options.temperature(),
                            options.topK(), random);
                }
            }
        }
        float[][] images = run(scope -> {
            NDArray maps = scope.create(grid, new Shape(n, gridHeight, gridWidth));
            return images(net.decode(store(scope), net.quantizer().lookup(maps), false), n);
        });
        int[][][] grids = new int[n][gridHeight][gridWidth];
        for (int s = 0; s < n; s++) {
            for (int c = 0; c < cells; c++) {
                grids[s][c / gridWidth][c % gridWidth] = (int) grid[s * cells + c];
            }
        }
        return new Sampled(images, null, grids);
    }

    @Override
    public Encoded encode(float[][] images, EncodeOptions options) {
        return run(scope -> {
            NDArray ze = net.encode(store(scope), batch(scope, images), false);
            int[][][] codes = grids(net.quantizer().encode(ze), images.length);
            float[][] vectors = options.includeVectors() ? rows(ze, images.length) : null;
            return new Encoded(null, codes, vectors);
        });
    }

    @Override
    public float[][] decode(DecodeInput input) {
        if (input.codes() != null) {
            long[] flat = checkCodes(input.codes());
            int n = input.codes().size();
            return run(scope -> {
                NDArray codes = scope.create(flat, new Shape(n, gridHeight, gridWidth));
                return images(net.decode(store(scope), net.quantizer().lookup(codes), false), n);
            });
        }
        if (input.vectors() != null) {
            float[] flat = checkVectors(input.vectors());
            int n = input.vectors().size();
            return run(scope -> {
                NDArray ze = scope.create(flat, new Shape(n, net.architecture().codeDim(), gridHeight, gridWidth));
                NDArray quantized = net.quantizer().lookup(net.quantizer().encode(ze));
                return images(net.decode(store(scope), quantized, false), n);
            });
        }
        throw new InvalidInferenceInputException(Kind.INVALID_LATENT,
                "a VQ-VAE decodes code grids or unquantised vectors: send {\"codes\": [[[...]]]} or {\"vectors\": [[...]]}");
    }

    @Override
    public List<Reconstruction> reconstruct(float[][] images, long seed) {
        int n = images.length;
        return run(scope -> {
            NDArray x = batch(scope, images);
            NDArray codes = net.quantizer().encode(net.encode(store(scope), x, false));
            NDArray reconstruction = net.decode(store(scope), net.quantizer().lookup(codes), false).clip(0, 1);
            float[] mse = reconstruction.sub(x).square().reshape(n, -1).mean(new int[] {1}).toFloatArray();
            float[][] pixels = rows(reconstruction, n);
            int[][][] grids = grids(codes, n);
            List<Reconstruction> result = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                result.add(new Reconstruction(pixels[i], mse[i], null, grids[i]));
            }
            return result;
        });
    }

    private long[] checkCodes(List<int[][]> grids) {
        int codes = net.architecture().codes();
        long[] flat = new long[grids.size() * gridHeight * gridWidth];
        int at = 0;
        for (int i = 0; i < grids.size(); i++) {
            int[][] grid = grids.get(i);
            if (grid == null || grid.length != gridHeight) {
                throw new InvalidInferenceInputException(Kind.INVALID_LATENT, "code grid " + i + " has "
                        + (grid == null ? 0 : grid.length) + " rows; the model's grids are " + gridHeight + "x" + gridWidth);
            }
            for (int[] row : grid) {
                if (row == null || row.length != gridWidth) {
                    throw new InvalidInferenceInputException(Kind.INVALID_LATENT, "code grid " + i + " has a row of "
                            + (row == null ? 0 : row.length) + " codes; the model's grids are " + gridHeight + "x" + gridWidth);
                }
                for (int code : row) {
                    if (code < 0 || code >= codes) {
                        throw new InvalidInferenceInputException(Kind.INVALID_LATENT, "code grid " + i + " holds code " + code
                                + "; codes must be in [0, " + codes + ")");
                    }
                    flat[at++] = code;
                }
            }
        }
        return flat;
    }

    private float[] checkVectors(List<float[]> vectors) {
        int size = net.architecture().codeDim() * gridHeight * gridWidth;
        float[] flat = new float[vectors.size() * size];
        for (int i = 0; i < vectors.size(); i++) {
            float[] v = vectors.get(i);
            if (v == null || v.length != size) {
                throw new InvalidInferenceInputException(Kind.INVALID_LATENT, "vectors " + i + " has "
                        + (v == null ? 0 : v.length) + " values; the model takes D x h x w = " + net.architecture().codeDim()
                        + " x " + gridHeight + " x " + gridWidth + " = " + size);
            }
            for (float value : v) {
                if (!Float.isFinite(value)) {
                    throw new InvalidInferenceInputException(Kind.INVALID_LATENT, "vectors " + i + " holds " + value
                            + "; every value must be a finite number");
                }
            }
            System.arraycopy(v, 0, flat, i * size, size);
        }
        return flat;
    }

    private static float[][] images(NDArray decoded, int n) {
        return rows(decoded.clip(0, 1), n);
    }

    private int[][][] grids(NDArray codes, int n) {
        int[] flat = codes.toType(DataType.INT32, false).toIntArray();
        int[][][] grids = new int[n][gridHeight][gridWidth];
        for (int i = 0, at = 0; i < n; i++) {
            for (int r = 0; r < gridHeight; r++) {
                for (int c = 0; c < gridWidth; c++) {
                    grids[i][r][c] = flat[at++];
                }
            }
        }
        return grids;
    }

}
