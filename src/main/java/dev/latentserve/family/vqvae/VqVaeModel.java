package dev.latentserve.family.vqvae;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.latentserve.family.CodeGridChecks;
import dev.latentserve.family.Completing;
import dev.latentserve.family.InvalidInferenceInputException.Kind;
import dev.latentserve.family.InvalidInferenceInputException;
import dev.latentserve.family.Latents;
import dev.latentserve.family.NoPriorException;
import dev.latentserve.family.QuantizedInterpolating;
import dev.latentserve.family.PriorSampler;
import dev.latentserve.family.RasterSampling;
import dev.latentserve.family.Scoring;
import dev.latentserve.family.ServedModel;
import dev.latentserve.image.ImageShape;
import dev.latentserve.nn.GatedPixelCnn;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.jspecify.annotations.Nullable;

/**
 * A trained VQ-VAE held for serving: images to code grids and back. Every call runs in its own child
 * NDManager, closed before returning. Decoded images are clamped to [0, 1].
 */
final class VqVaeModel extends ServedModel implements QuantizedInterpolating, Completing, Scoring {

    /** The one level's name, for {@link SampleOptions#temperature(String)}: the request's temperature applies. */
    private static final String LEVEL = "codes";

    private final VqVae net;
    private final @Nullable Model prior;
    private final @Nullable PriorSampler sampler;
    private final int gridHeight;
    private final int gridWidth;

    /** @param incremental whether to sample incrementally ({@link PriorSampler}) or by the full pass */
    VqVaeModel(Model model, VqVae net, @Nullable Model prior, boolean incremental) {
        super(model, prior);
        this.net = net;
        this.prior = prior;
        this.sampler = prior == null ? null : new PriorSampler(this, (GatedPixelCnn) prior.getBlock(), incremental);
        this.gridHeight = net.architecture().gridHeight(net.imageShape());
        this.gridWidth = net.architecture().gridWidth(net.imageShape());
    }

    @Override
    public ImageShape shape() {
        return net.imageShape();
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
        float[][] images = decodeGrid(grid, n);
        List<float[][]> imageSlices = slices(images, counts);
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
                net.architecture().codes(), fixed, sampler.logits(n, gridHeight, gridWidth));
    }

    private float[][] decodeGrid(long[] grid, int n) {
        return run(scope -> {
            NDArray maps = scope.create(grid, new Shape(n, gridHeight, gridWidth));
            return images(net.decode(store(scope), net.quantizer().lookup(maps), false), n);
        });
    }

    /**
     * The image's codes kept where their footprint (factor 2^downsamplings) is known, the others drawn in raster order;
     * see {@link Completing}.
     */
    @Override
    public List<Completed> complete(List<CompleteCall> calls) {
        List<SampleOptions> requests = calls.stream().map(CompleteCall::options).toList();
        requests.forEach(this::checkSample);
        int[] counts = requests.stream().mapToInt(SampleOptions::count).toArray();
        int n = IntStream.of(counts).sum();
        int cells = gridHeight * gridWidth;
        float[][] originals = calls.stream().map(CompleteCall::image).toArray(float[][]::new);
        long[] encoded = run(scope -> net.quantizer().encode(net.encode(store(scope), batch(scope, originals), false))
                .toType(DataType.INT64, false).toLongArray());
        Completing.Footprint footprint = new Completing.Footprint(shape().height() / gridHeight, 0, 0);
        List<boolean[]> kept = calls.stream().map(call -> footprint.kept(call.known(), shape(), gridHeight, gridWidth)).toList();
        long[] grid = draw(requests, Completing.fixed(calls, encoded, kept, cells));
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
        return run(scope -> {
            NDArray ze = net.encode(store(scope), batch(scope, images), false);
            List<int[][][]> codes = slices(grids(net.quantizer().encode(ze), images.length), counts);
            boolean anyVectors = requests.stream().anyMatch(call -> call.options().includeVectors());
            List<float[][]> vectors = anyVectors ? slices(rows(ze, images.length), counts) : null;
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
            return slices(images(net.decode(store(scope), all, false), n), counts);
        });
    }

    private NDArray quantized(NDManager scope, Latents input) {
        int n = input.count();
        if (input instanceof Latents.CodeGrids codes) {
            return net.quantizer().lookup(scope.create(checkCodes(codes.grids()), new Shape(n, gridHeight, gridWidth)));
        }
        NDArray ze = scope.create(checkVectors(((Latents.UnquantisedVectors) input).vectors()),
                new Shape(n, net.architecture().codeDim(), gridHeight, gridWidth));
        return net.quantizer().lookup(net.quantizer().encode(ze));
    }

    @Override
    public List<List<Reconstruction>> reconstruct(List<ReconstructCall> requests) {
        int[] counts = requests.stream().mapToInt(call -> call.images().length).toArray();
        float[][] images = concat(requests.stream().map(ReconstructCall::images).toList());
        int n = images.length;
        return run(scope -> {
            NDArray x = batch(scope, images);
            NDArray codes = net.quantizer().encode(net.encode(store(scope), x, false));
            NDArray reconstruction = net.decode(store(scope), net.quantizer().lookup(codes), false).clip(0, 1);
            float[] mse = reconstruction.sub(x).square().reshape(n, -1).mean(new int[] {1}).toFloatArray();
            float[][] pixels = rows(reconstruction, n);
            int[][][] grids = grids(codes, n);
            List<Reconstruction> all = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                all.add(new Reconstruction(pixels[i], mse[i], null, new Latents.CodeGrids(List.<int[][]>of(grids[i]))));
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
        return new Latents.CodeGrids(List.of(run(scope -> grids(net.quantizer().encode(scope.create(checkVectors(vectors.vectors()),
                new Shape(n, net.architecture().codeDim(), gridHeight, gridWidth))), n))));
    }

    private long[] checkCodes(List<int[][]> grids) {
        return CodeGridChecks.flatten(grids, gridHeight, gridWidth, net.architecture().codes(), i -> "code grid " + i, "");
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
        return RasterSampling.grids(codes.toType(DataType.INT64, false).toLongArray(), n, gridHeight, gridWidth);
    }

    /** Scores need the prior over the codes, as sampling does. */
    @Override
    public void checkScore(ScoreOptions options) {
        if (prior == null) {
            throw new NoPriorException("this VQ-VAE has no prior over its " + gridHeight + "x" + gridWidth + " code grids to "
                    + "score images with; fit one with a job {\"type\": \"fit-prior\", \"model\": \"<name>@<version>\", "
                    + "\"dataset\": \"<id>\"}, which publishes a new version with the prior");
        }
    }

    /**
     * {@code -log p(codes)} of each image's code grid under the prior, all positions in one teacher-forced pass (the
     * prior's masked convolutions see only the codes before each position), and the reconstruction's MSE. Deterministic:
     * the seed, L and k do not apply.
     */
    @Override
    public List<List<Score>> score(List<ScoreCall> requests) {
        int[] counts = requests.stream().mapToInt(call -> call.images().length).toArray();
        float[][] images = concat(requests.stream().map(ScoreCall::images).toList());
        int n = images.length;
        GatedPixelCnn block = (GatedPixelCnn) prior.getBlock();
        return run(scope -> {
            NDArray x = batch(scope, images);
            NDArray codes = net.quantizer().encode(net.encode(store(scope), x, false)).toType(DataType.INT64, false)
                    .reshape(n, gridHeight, gridWidth);
            NDArray reconstruction = net.decode(store(scope), net.quantizer().lookup(codes), false).clip(0, 1);
            float[] mse = reconstruction.sub(x).square().reshape(n, -1).mean(new int[] {1}).toFloatArray();
            NDArray logits = block.forward(store(scope), new NDList(codes), false).singletonOrThrow();
            float[] nll = GatedPixelCnn.negativeLogLikelihood(logits, codes).toFloatArray();
            List<Score> all = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                all.add(new CodeLikelihood(Map.of(LEVEL, (double) nll[i]), nll[i], mse[i]));
            }
            return slices(all, counts);
        });
    }
}
