package dev.latentserve.family.vq;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.latentserve.family.CodeGridChecks;
import dev.latentserve.family.Completing;
import dev.latentserve.family.InvalidInferenceInputException;
import dev.latentserve.family.InvalidInferenceInputException.Kind;
import dev.latentserve.family.Latents;
import dev.latentserve.family.NoPriorException;
import dev.latentserve.family.PriorSampler;
import dev.latentserve.family.QuantizedInterpolating;
import dev.latentserve.family.RasterSampling;
import dev.latentserve.family.ServedModel;
import dev.latentserve.nn.GatedPixelCnn;
import dev.latentserve.nn.VectorQuantizer;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.jspecify.annotations.Nullable;

/**
 * A served model with one level of codes (van den Oord et al. 2017): an encoder to z_e (n, D, h, w), a codebook that
 * quantises each of the h x w vectors to its nearest code, a decoder from the codebook vectors back to pixels in
 * [0, 1], and optionally a gated PixelCNN prior over the code grids. What lies between those parts is the same for a
 * VQ-VAE trained here and one imported from PyTorch, and lives here: the checks of code grids and vectors, sampling in
 * raster order, completion, encode, decode, reconstruct and interpolation's lookup and quantisation. A subclass says
 * how to run its encoder and decoder. Every call runs in its own child NDManager, closed before returning.
 */
public abstract class CodeGridModel extends ServedModel implements QuantizedInterpolating, Completing {

    /** The one level's name, for {@code SampleOptions#temperature(String)}: the request's temperature applies. */
    protected static final String LEVEL = "codes";

    private final VectorQuantizer quantizer;
    private final @Nullable Model prior;
    private final @Nullable PriorSampler sampler;
    protected final int gridHeight;
    protected final int gridWidth;

    /**
     * @param quantizer the codebook: K codes of dimension D
     * @param prior the fitted prior's model, or null before a prior is fitted
     * @param incremental whether to sample incrementally ({@link PriorSampler}) or by the full pass
     * @param models every model the served version holds (closed with it), the prior's included
     */
    protected CodeGridModel(VectorQuantizer quantizer, @Nullable Model prior, boolean incremental, int gridHeight, int gridWidth,
            Model... models) {
        super(models);
        this.quantizer = quantizer;
        this.prior = prior;
        this.sampler = prior == null ? null : new PriorSampler(this, (GatedPixelCnn) prior.getBlock(), incremental);
        this.gridHeight = gridHeight;
        this.gridWidth = gridWidth;
    }

    /** z_e (n, D, h, w) of pixels (n, C, H, W) in [0, 1]. */
    protected abstract NDArray encoderOutputs(NDManager scope, NDArray pixels, int n);

    /** Pixels (n, C, H, W) in [0, 1] decoded from codebook vectors (n, D, h, w). */
    protected abstract NDArray decodeToPixels(NDManager scope, NDArray quantized, int n);

    /** The side in pixels of a code's footprint, for completion ({@link Completing.Footprint}). */
    protected abstract int footprint();

    protected final VectorQuantizer quantizer() {
        return quantizer;
    }

    /** The prior's model; null before one is fitted. */
    protected final @Nullable Model prior() {
        return prior;
    }

    @Override
    public void checkSample(SampleOptions options) {
        if (prior == null) {
            throw new NoPriorException("this VQ-VAE has no prior over its " + gridHeight + "x" + gridWidth
                    + " code grids to sample from; fit one with a job {\"type\": \"fit-prior\", \"model\": \"<name>@<version>\", "
                    + "\"dataset\": \"<id>\"}, which publishes a new version with the prior, or decode code grids with /decode");
        }
    }

    @Override
    public void checkDecode(Latents input) {
        switch (input) {
            case Latents.CodeGrids codes -> checkCodes(codes.grids());
            case Latents.UnquantisedVectors vectors -> checkVectors(vectors.vectors());
            default -> throw new InvalidInferenceInputException(Kind.INVALID_LATENT,
                    "a VQ-VAE decodes code grids or unquantised vectors: send {\"codes\": [[[...]]]} or {\"vectors\": [[...]]}");
        }
    }

    /**
     * Ancestral sampling in raster order ({@link RasterSampling}); by causality the logits of row i depend on rows
     * 0..i only, so the rows below are never computed.
     */
    @Override
    public List<Sampled> sample(List<SampleOptions> requests) {
        requests.forEach(this::checkSample);
        int[] counts = requests.stream().mapToInt(SampleOptions::count).toArray();
        int n = IntStream.of(counts).sum();
        long[] grid = draw(requests, null);
        List<float[][]> imageSlices = slices(decodeGrid(grid, n), counts);
        List<int[][][]> gridSlices = slices(RasterSampling.grids(grid, n, gridHeight, gridWidth), counts);
        List<Sampled> result = new ArrayList<>(requests.size());
        for (int r = 0; r < requests.size(); r++) {
            result.add(new Sampled(imageSlices.get(r), new Latents.CodeGrids(List.of(gridSlices.get(r)))));
        }
        return result;
    }

    private long[] draw(List<SampleOptions> requests, RasterSampling.@Nullable Fixed fixed) {
        int n = requests.stream().mapToInt(SampleOptions::count).sum();
        return RasterSampling.draw(requests, LEVEL, RasterSampling.generators(requests), gridHeight, gridWidth,
                quantizer.codes(), fixed, sampler.logits(n, gridHeight, gridWidth));
    }

    private float[][] decodeGrid(long[] grid, int n) {
        return run(scope -> rows(decodeToPixels(scope, quantizer.lookup(scope.create(grid, new Shape(n, gridHeight, gridWidth))), n), n));
    }

    /** The image's codes kept where their footprint ({@link #footprint()} pixels a side) is known; see {@link Completing}. */
    @Override
    public List<Completed> complete(List<CompleteCall> calls) {
        List<SampleOptions> requests = calls.stream().map(CompleteCall::options).toList();
        requests.forEach(this::checkSample);
        int[] counts = requests.stream().mapToInt(SampleOptions::count).toArray();
        int n = IntStream.of(counts).sum();
        float[][] originals = calls.stream().map(CompleteCall::image).toArray(float[][]::new);
        long[] encoded = run(scope -> quantizer.encode(encoderOutputs(scope, batch(scope, originals), originals.length))
                .toType(DataType.INT64, false).toLongArray());
        Completing.Footprint footprint = new Completing.Footprint(footprint(), 0, 0);
        List<boolean[]> kept = calls.stream().map(call -> footprint.kept(call.known(), shape(), gridHeight, gridWidth)).toList();
        long[] grid = draw(requests, Completing.fixed(calls, encoded, kept, gridHeight * gridWidth));
        List<float[][]> imageSlices = slices(decodeGrid(grid, n), counts);
        List<int[][][]> gridSlices = slices(RasterSampling.grids(grid, n, gridHeight, gridWidth), counts);
        List<Completed> result = new ArrayList<>(calls.size());
        for (int r = 0; r < calls.size(); r++) {
            result.add(new Completed(imageSlices.get(r), new Latents.CodeGrids(List.of(gridSlices.get(r))),
                    new Latents.CodeGrids(List.<int[][]>of(Completing.keptGrid(kept.get(r), gridHeight, gridWidth)))));
        }
        return result;
    }

    @Override
    public List<Encoded> encode(List<EncodeCall> requests) {
        int[] counts = requests.stream().mapToInt(call -> call.images().length).toArray();
        float[][] images = concat(requests.stream().map(EncodeCall::images).toList());
        int n = images.length;
        return run(scope -> {
            NDArray ze = encoderOutputs(scope, batch(scope, images), n);
            List<int[][][]> codes = slices(grids(quantizer.encode(ze), n), counts);
            boolean anyVectors = requests.stream().anyMatch(call -> call.options().includeVectors());
            List<float[][]> vectors = anyVectors ? slices(rows(ze, n), counts) : null;
            List<Encoded> result = new ArrayList<>(requests.size());
            for (int r = 0; r < requests.size(); r++) {
                boolean include = requests.get(r).options().includeVectors();
                result.add(new Encoded(new Latents.CodeGrids(List.of(codes.get(r))),
                        include ? new Latents.UnquantisedVectors(List.of(vectors.get(r))) : null));
            }
            return result;
        });
    }

    /** Code grids are looked up and vectors quantised per request; the decoder then runs once over all of them. */
    @Override
    public List<float[][]> decode(List<Latents> inputs) {
        int[] counts = inputs.stream().mapToInt(Latents::count).toArray();
        int n = IntStream.of(counts).sum();
        return run(scope -> {
            NDList quantized = new NDList(inputs.size());
            for (Latents input : inputs) {
                quantized.add(quantized(scope, input));
            }
            NDArray all = quantized.size() == 1 ? quantized.singletonOrThrow() : NDArrays.concat(quantized);
            return slices(rows(decodeToPixels(scope, all, n), n), counts);
        });
    }

    private NDArray quantized(NDManager scope, Latents input) {
        int n = input.count();
        if (input instanceof Latents.CodeGrids codes) {
            return quantizer.lookup(scope.create(checkCodes(codes.grids()), new Shape(n, gridHeight, gridWidth)));
        }
        NDArray ze = scope.create(checkVectors(((Latents.UnquantisedVectors) input).vectors()),
                new Shape(n, quantizer.dimension(), gridHeight, gridWidth));
        return quantizer.lookup(quantizer.encode(ze));
    }

    /** Pixels decoded from the nearest codes of the input, their mean squared error against it, and the codes. */
    @Override
    public List<List<Reconstruction>> reconstruct(List<ReconstructCall> requests) {
        int[] counts = requests.stream().mapToInt(call -> call.images().length).toArray();
        float[][] images = concat(requests.stream().map(ReconstructCall::images).toList());
        int n = images.length;
        return run(scope -> {
            NDArray x = batch(scope, images);
            NDArray codes = quantizer.encode(encoderOutputs(scope, x, n));
            NDArray reconstruction = decodeToPixels(scope, quantizer.lookup(codes), n);
            float[] mse = reconstruction.sub(x).square().reshape(n, -1).mean(new int[] {1}).toFloatArray();
            float[][] decoded = rows(reconstruction, n);
            int[][][] grids = grids(codes, n);
            List<Reconstruction> all = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                all.add(new Reconstruction(decoded[i], mse[i], null, new Latents.CodeGrids(List.<int[][]>of(grids[i]))));
            }
            return slices(all, counts);
        });
    }

    @Override
    public List<float[]> codebookVectors(Latents.CodeGrids codes) {
        int n = codes.count();
        return List.of(run(scope -> rows(quantized(scope, codes), n)));
    }

    @Override
    public Latents.CodeGrids quantise(Latents.UnquantisedVectors vectors) {
        int n = vectors.count();
        return new Latents.CodeGrids(List.of(run(scope -> grids(quantizer.encode(scope.create(checkVectors(vectors.vectors()),
                new Shape(n, quantizer.dimension(), gridHeight, gridWidth))), n))));
    }

    private long[] checkCodes(List<int[][]> grids) {
        return CodeGridChecks.flatten(grids, gridHeight, gridWidth, quantizer.codes(), i -> "code grid " + i, "");
    }

    private float[] checkVectors(List<float[]> vectors) {
        int size = quantizer.dimension() * gridHeight * gridWidth;
        float[] flat = new float[vectors.size() * size];
        for (int i = 0; i < vectors.size(); i++) {
            float[] v = vectors.get(i);
            if (v == null || v.length != size) {
                throw new InvalidInferenceInputException(Kind.INVALID_LATENT, "vectors " + i + " has " + (v == null ? 0 : v.length)
                        + " values; the model takes D x h x w = " + quantizer.dimension() + " x " + gridHeight + " x " + gridWidth
                        + " = " + size);
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

    /** Codes (n, h, w) as n grids of h rows of w. */
    protected final int[][][] grids(NDArray codes, int n) {
        return RasterSampling.grids(codes.toType(DataType.INT64, false).toLongArray(), n, gridHeight, gridWidth);
    }
}
