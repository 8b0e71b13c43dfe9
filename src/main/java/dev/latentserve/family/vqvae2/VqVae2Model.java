package dev.latentserve.family.vqvae2;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.latentserve.family.CodeGridChecks;
import dev.latentserve.family.Interpolating;
import dev.latentserve.family.Interpolation;
import dev.latentserve.family.Completing;
import dev.latentserve.family.InvalidInferenceInputException;
import dev.latentserve.family.InvalidInferenceInputException.Kind;
import dev.latentserve.family.Latents;
import dev.latentserve.family.NoPriorException;
import dev.latentserve.family.QuantizedInterpolating;
import dev.latentserve.family.PriorSampler;
import dev.latentserve.family.RasterSampling;
import dev.latentserve.family.Scoring;
import dev.latentserve.family.ServedModel;
import dev.latentserve.family.vqvae2.VqVae2Family.Grids;
import dev.latentserve.image.ImageShape;
import dev.latentserve.nn.GatedPixelCnn;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.jspecify.annotations.Nullable;

/**
 * A trained VQ-VAE-2 held for serving: images to top and bottom code grids and back, and sampling from the two
 * priors, the top map first, then the bottom map given it. Every call runs in its own child NDManager. Decoded
 * images are cropped to the input size and clamped to [0, 1].
 */
final class VqVae2Model extends ServedModel implements Interpolating, Completing, Scoring {

    private final VqVae2 net;
    private final @Nullable Model topPrior;
    private final @Nullable Model bottomPrior;
    private final Grids grids;
    private final @Nullable PriorSampler topSampler;
    private final @Nullable PriorSampler bottomSampler;

    /** @param incremental whether to sample incrementally ({@link PriorSampler}) or by the full pass */
    VqVae2Model(Model model, VqVae2 net, @Nullable Model topPrior, @Nullable Model bottomPrior, boolean incremental) {
        super(model, topPrior, bottomPrior);
        this.net = net;
        this.topPrior = topPrior;
        this.bottomPrior = bottomPrior;
        this.topSampler = topPrior == null ? null : new PriorSampler(this, (GatedPixelCnn) topPrior.getBlock(), incremental);
        this.bottomSampler = bottomPrior == null ? null
                : new PriorSampler(this, ((ConditionalPixelCnn) bottomPrior.getBlock()).pixelCnn(), incremental);
        this.grids = new Grids(net.architecture(), net.imageShape());
    }

    @Override
    public ImageShape shape() {
        return net.imageShape();
    }

    @Override
    public void checkSample(SampleOptions options) {
        if (topPrior == null || bottomPrior == null) {
            List<String> missing = new ArrayList<>();
            if (topPrior == null) {
                missing.add("top");
            }
            if (bottomPrior == null) {
                missing.add("bottom");
            }
            throw new NoPriorException("this VQ-VAE-2 has no " + String.join(" or ", missing) + " prior to sample from; fit them "
                    + "with a job {\"type\": \"fit-prior\", \"model\": \"<name>@<version>\", \"dataset\": \"<id>\", "
                    + "\"architecture\": {\"levels\": " + (missing.size() == 2 ? "[\"top\", \"bottom\"]" : "[\"" + missing.getFirst() + "\"]")
                    + "}}, which publishes a new version, or decode code grids with /decode");
        }
    }

    @Override
    public void checkDecode(Latents input) {
        if (!(input instanceof Latents.CodeHierarchy levels)) {
            throw new InvalidInferenceInputException(Kind.INVALID_LATENT, "a VQ-VAE-2 decodes both levels' code grids: send "
                    + "{\"codes\": {\"top\": [" + grids.topHeight() + "x" + grids.topWidth() + " grid, ...], \"bottom\": ["
                    + grids.bottomHeight() + "x" + grids.bottomWidth() + " grid, ...]}}");
        }
        flatten(levels);
    }

    /**
     * Top codes from the top prior in raster order, then bottom codes from the bottom prior conditioned on them; each
     * request draws both from one generator seeded by its seed, so its samples do not depend on the batch.
     */
    @Override
    public List<Sampled> sample(List<SampleOptions> requests) {
        requests.forEach(this::checkSample);
        int[] counts = requests.stream().mapToInt(SampleOptions::count).toArray();
        int n = IntStream.of(counts).sum();
        SplittableRandom[] randoms = RasterSampling.generators(requests);
        long[] topCodes = drawTop(requests, randoms, null);
        long[] bottomCodes = drawBottom(requests, randoms, topCodes, null);
        float[][] images = run(scope -> images(scope, topCodes, bottomCodes, n));
        List<float[][]> imageSlices = slices(images, counts);
        List<int[][][]> topSlices = slices(RasterSampling.grids(topCodes, n, grids.topHeight(), grids.topWidth()), counts);
        List<int[][][]> bottomSlices = slices(RasterSampling.grids(bottomCodes, n, grids.bottomHeight(), grids.bottomWidth()), counts);
        List<Sampled> result = new ArrayList<>(requests.size());
        for (int r = 0; r < requests.size(); r++) {
            result.add(new Sampled(imageSlices.get(r), hierarchy(topSlices.get(r), bottomSlices.get(r))));
        }
        return result;
    }

    private long[] drawTop(List<SampleOptions> requests, SplittableRandom[] randoms, RasterSampling.@Nullable Fixed fixed) {
        int n = requests.stream().mapToInt(SampleOptions::count).sum();
        return RasterSampling.draw(requests, PriorArchitectures.TOP, randoms, grids.topHeight(), grids.topWidth(),
                net.architecture().topCodes(), fixed, topSampler.logits(n, grids.topHeight(), grids.topWidth()));
    }

    private long[] drawBottom(List<SampleOptions> requests, SplittableRandom[] randoms, long[] topCodes,
            RasterSampling.@Nullable Fixed fixed) {
        ConditionalPixelCnn bottom = (ConditionalPixelCnn) bottomPrior.getBlock();
        int n = requests.stream().mapToInt(SampleOptions::count).sum();
        RasterSampling.Logits logits;
        if (bottomSampler.incremental()) {
            // The conditioning stack's features of the top codes, once per draw (the full pass recomputes them per position).
            float[] condition = run(scope -> bottom.condition(store(scope), scope.create(topCodes, grids.top(n)), false)
                    .toFloatArray());
            logits = bottomSampler.generation(n, grids.bottomHeight(), grids.bottomWidth(), condition);
        } else {
            logits = (maps, row, column) -> run(scope -> {
                NDArray rows = scope.create(maps, grids.bottom(n)).get(new NDIndex(":, 0:{}, :", row + 1));
                NDArray given = scope.create(topCodes, grids.top(n));
                return at(bottom.forward(store(scope), new NDList(rows, given), false).singletonOrThrow(), row, column);
            });
        }
        return RasterSampling.draw(requests, PriorArchitectures.BOTTOM, randoms, grids.bottomHeight(), grids.bottomWidth(),
                net.architecture().bottomCodes(), fixed, logits);
    }

    /**
     * The top codes kept where their footprint (8x8 pixels of the padded image) is known and the others drawn from the
     * top prior; then the bottom codes kept where their footprint (4x4) is known and the others drawn from the bottom
     * prior given the completed top. See {@link Completing}.
     */
    @Override
    public List<Completed> complete(List<CompleteCall> calls) {
        List<SampleOptions> requests = calls.stream().map(CompleteCall::options).toList();
        requests.forEach(this::checkSample);
        int[] counts = requests.stream().mapToInt(SampleOptions::count).toArray();
        int n = IntStream.of(counts).sum();
        float[][] originals = calls.stream().map(CompleteCall::image).toArray(float[][]::new);
        long[][] encoded = run(scope -> {
            NDList codes = net.encodeCodes(store(scope), batch(scope, originals));
            return new long[][] {codes.get(0).toType(DataType.INT64, false).toLongArray(),
                    codes.get(1).toType(DataType.INT64, false).toLongArray()};
        });
        VqVae2Architecture.Padding padding = net.architecture().padding(shape());
        Completing.Footprint topFootprint = new Completing.Footprint(VqVae2Architecture.FACTOR, padding.top(), padding.left());
        Completing.Footprint bottomFootprint = new Completing.Footprint(VqVae2Architecture.FACTOR / 2, padding.top(), padding.left());
        List<boolean[]> topKept = calls.stream()
                .map(call -> topFootprint.kept(call.known(), shape(), grids.topHeight(), grids.topWidth())).toList();
        List<boolean[]> bottomKept = calls.stream()
                .map(call -> bottomFootprint.kept(call.known(), shape(), grids.bottomHeight(), grids.bottomWidth())).toList();
        SplittableRandom[] randoms = RasterSampling.generators(requests);
        long[] topCodes = drawTop(requests, randoms, Completing.fixed(calls, encoded[0], topKept, grids.topCells()));
        long[] bottomCodes = drawBottom(requests, randoms, topCodes,
                Completing.fixed(calls, encoded[1], bottomKept, grids.bottomCells()));
        float[][] images = run(scope -> images(scope, topCodes, bottomCodes, n));
        List<float[][]> imageSlices = slices(images, counts);
        List<int[][][]> topSlices = slices(RasterSampling.grids(topCodes, n, grids.topHeight(), grids.topWidth()), counts);
        List<int[][][]> bottomSlices = slices(RasterSampling.grids(bottomCodes, n, grids.bottomHeight(), grids.bottomWidth()), counts);
        List<Completed> result = new ArrayList<>(calls.size());
        for (int r = 0; r < calls.size(); r++) {
            Latents.CodeHierarchy kept = hierarchy(
                    new int[][][] {Completing.keptGrid(topKept.get(r), grids.topHeight(), grids.topWidth())},
                    new int[][][] {Completing.keptGrid(bottomKept.get(r), grids.bottomHeight(), grids.bottomWidth())});
            result.add(new Completed(imageSlices.get(r), hierarchy(topSlices.get(r), bottomSlices.get(r)), kept));
        }
        return result;
    }

    private static float[] at(NDArray logits, int row, int column) {
        return logits.get(new NDIndex(":, :, {}, {}", row, column)).toFloatArray();
    }

    @Override
    public List<Encoded> encode(List<EncodeCall> requests) {
        int[] counts = requests.stream().mapToInt(call -> call.images().length).toArray();
        float[][] images = concat(requests.stream().map(EncodeCall::images).toList());
        Latents.CodeHierarchy codes = run(scope -> levelCodes(net.encodeCodes(store(scope), batch(scope, images)), images.length));
        List<Encoded> result = new ArrayList<>(requests.size());
        for (int r = 0, at = 0; r < requests.size(); at += counts[r], r++) {
            result.add(new Encoded(codes.slice(at, at + counts[r]), null));
        }
        return result;
    }

    @Override
    public List<float[][]> decode(List<Latents> inputs) {
        int[] counts = inputs.stream().mapToInt(Latents::count).toArray();
        int n = IntStream.of(counts).sum();
        long[] top = new long[n * grids.topCells()];
        long[] bottom = new long[n * grids.bottomCells()];
        int at = 0;
        for (Latents input : inputs) {
            long[][] flat = flatten((Latents.CodeHierarchy) input);
            System.arraycopy(flat[0], 0, top, at * grids.topCells(), flat[0].length);
            System.arraycopy(flat[1], 0, bottom, at * grids.bottomCells(), flat[1].length);
            at += input.count();
        }
        float[][] images = run(scope -> images(scope, top, bottom, n));
        return slices(images, counts);
    }

    @Override
    public List<List<Reconstruction>> reconstruct(List<ReconstructCall> requests) {
        int[] counts = requests.stream().mapToInt(call -> call.images().length).toArray();
        float[][] images = concat(requests.stream().map(ReconstructCall::images).toList());
        int n = images.length;
        return run(scope -> {
            NDArray x = batch(scope, images);
            NDList codes = net.encodeCodes(store(scope), x);
            NDArray reconstruction = net.decodeCodes(store(scope), codes.get(0), codes.get(1)).clip(0, 1);
            float[] mse = reconstruction.sub(x).square().reshape(n, -1).mean(new int[] {1}).toFloatArray();
            float[][] pixels = rows(reconstruction, n);
            Latents.CodeHierarchy levels = levelCodes(codes, n);
            List<Reconstruction> all = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                all.add(new Reconstruction(pixels[i], mse[i], null, levels.slice(i, i + 1)));
            }
            return slices(all, counts);
        });
    }

    @Override
    public void checkInterpolate(Ends ends) {
        switch (ends) {
            case Ends.Seeds seeds -> throw QuantizedInterpolating.seedsRefused();
            case Ends.Given given -> checkDecode(given.latents());
            case Ends.Images images -> {
            }
        }
    }

    /**
     * Both levels' paths run between the encoder outputs before quantisation (of the images, or the codebook vectors of
     * the codes sent), each step quantised level by level and decoded; every call's steps in one decoder batch.
     */
    @Override
    public List<Interpolated> interpolate(List<InterpolateCall> calls) {
        int total = calls.stream().mapToInt(InterpolateCall::steps).sum();
        VqVae2Architecture architecture = net.architecture();
        return run(scope -> {
            List<float[]> topSteps = new ArrayList<>(total);
            List<float[]> bottomSteps = new ArrayList<>(total);
            List<Walked> walked = new ArrayList<>(calls.size());
            for (InterpolateCall call : calls) {
                NDList ze = switch (call.ends()) {
                    case Ends.Images images -> net.encodeVectors(store(scope), batch(scope, new float[][] {images.from(), images.to()}));
                    case Ends.Given given -> {
                        long[][] codes = flatten((Latents.CodeHierarchy) given.latents());
                        yield new NDList(net.topQuantizer().lookup(scope.create(codes[0], grids.top(2))),
                                net.bottomQuantizer().lookup(scope.create(codes[1], grids.bottom(2))));
                    }
                    case Ends.Seeds seeds -> throw QuantizedInterpolating.seedsRefused();
                };
                float[][] top = rows(ze.get(0), 2);
                float[][] bottom = rows(ze.get(1), 2);
                java.util.SequencedMap<String, Walked> levels = new java.util.LinkedHashMap<>();
                levels.put("top", Walked.of(call.method(), top[0], top[1]));
                levels.put("bottom", Walked.of(call.method(), bottom[0], bottom[1]));
                walked.add(Walked.levels(call.method(), levels));
                topSteps.addAll(Arrays.asList(Interpolation.path(top[0], top[1], call.steps(), call.method())));
                bottomSteps.addAll(Arrays.asList(Interpolation.path(bottom[0], bottom[1], call.steps(), call.method())));
            }
            long[] topCodes = codes(net.topQuantizer().encode(scope.create(topSteps.toArray(float[][]::new))
                    .reshape(total, architecture.topCodeDim(), grids.topHeight(), grids.topWidth())));
            long[] bottomCodes = codes(net.bottomQuantizer().encode(scope.create(bottomSteps.toArray(float[][]::new))
                    .reshape(total, architecture.bottomCodeDim(), grids.bottomHeight(), grids.bottomWidth())));
            int[] steps = calls.stream().mapToInt(InterpolateCall::steps).toArray();
            List<float[][]> images = slices(images(scope, topCodes, bottomCodes, total), steps);
            Latents.CodeHierarchy levels = hierarchy(RasterSampling.grids(topCodes, total, grids.topHeight(), grids.topWidth()),
                    RasterSampling.grids(bottomCodes, total, grids.bottomHeight(), grids.bottomWidth()));
            List<Interpolated> result = new ArrayList<>(calls.size());
            for (int i = 0, at = 0; i < calls.size(); at += steps[i], i++) {
                result.add(new Interpolated(images.get(i), levels.slice(at, at + steps[i]), walked.get(i)));
            }
            return result;
        });
    }

    private static long[] codes(NDArray codes) {
        return codes.toType(DataType.INT64, false).toLongArray();
    }

    private float[][] images(NDManager scope, long[] top, long[] bottom, int n) {
        NDArray decoded = net.decodeCodes(store(scope), scope.create(top, grids.top(n)), scope.create(bottom, grids.bottom(n)));
        return rows(decoded.clip(0, 1), n);
    }

    private Latents.CodeHierarchy levelCodes(NDList codes, int n) {
        return hierarchy(
                RasterSampling.grids(codes.get(0).toType(DataType.INT64, false).toLongArray(), n, grids.topHeight(), grids.topWidth()),
                RasterSampling.grids(codes.get(1).toType(DataType.INT64, false).toLongArray(), n, grids.bottomHeight(),
                        grids.bottomWidth()));
    }

    /** The two levels' grids as latents, top first. */
    private static Latents.CodeHierarchy hierarchy(int[][][] top, int[][][] bottom) {
        Map<String, List<int[][]>> levels = new LinkedHashMap<>();
        levels.put(PriorArchitectures.TOP, Arrays.asList(top));
        levels.put(PriorArchitectures.BOTTOM, Arrays.asList(bottom));
        return new Latents.CodeHierarchy(levels);
    }

    /** Both levels' grids checked (same number of images, grid sizes, codes in range) and flattened. */
    private long[][] flatten(Latents.CodeHierarchy levels) {
        if (!levels.levels().keySet().equals(java.util.Set.of(PriorArchitectures.TOP, PriorArchitectures.BOTTOM))) {
            throw new InvalidInferenceInputException(Kind.INVALID_LATENT, "a VQ-VAE-2 has the levels top and bottom, not "
                    + levels.levels().keySet());
        }
        List<int[][]> top = levels.level(PriorArchitectures.TOP);
        List<int[][]> bottom = levels.level(PriorArchitectures.BOTTOM);
        if (top.size() != bottom.size()) {
            throw new InvalidInferenceInputException(Kind.INVALID_LATENT, "codes.top holds " + top.size()
                    + " grids but codes.bottom " + bottom.size() + "; send one of each per image");
        }
        VqVae2Architecture architecture = net.architecture();
        return new long[][] {
                CodeGridChecks.flatten(top, grids.topHeight(), grids.topWidth(), architecture.topCodes(),
                        i -> "codes.top[" + i + "]", "top "),
                CodeGridChecks.flatten(bottom, grids.bottomHeight(), grids.bottomWidth(),
                        architecture.bottomCodes(), i -> "codes.bottom[" + i + "]", "bottom ")};
    }

    /** Scores need both priors: -log p(codes) = -log p(top) - log p(bottom | top). */
    @Override
    public void checkScore(ScoreOptions options) {
        if (topPrior == null || bottomPrior == null) {
            throw new NoPriorException("this VQ-VAE-2 has no " + (topPrior == null && bottomPrior == null ? "top or bottom"
                    : topPrior == null ? "top" : "bottom") + " prior to score images with; -log p(codes) needs both. Fit them "
                    + "with a job {\"type\": \"fit-prior\", \"model\": \"<name>@<version>\", \"dataset\": \"<id>\"}, which "
                    + "publishes a new version with the priors");
        }
    }

    /**
     * Per image {@code -log p(top)} and {@code -log p(bottom | top)} of its codes, each level's logits in one
     * teacher-forced pass of its prior, their sum, and the reconstruction's MSE. Deterministic: seed, L and k do not apply.
     */
    @Override
    public List<List<Score>> score(List<ScoreCall> requests) {
        int[] counts = requests.stream().mapToInt(call -> call.images().length).toArray();
        float[][] images = concat(requests.stream().map(ScoreCall::images).toList());
        int n = images.length;
        GatedPixelCnn top = (GatedPixelCnn) topPrior.getBlock();
        ConditionalPixelCnn bottom = (ConditionalPixelCnn) bottomPrior.getBlock();
        return run(scope -> {
            NDArray x = batch(scope, images);
            NDList codes = net.encodeCodes(store(scope), x);
            NDArray topCodes = codes.get(0).toType(DataType.INT64, false).reshape(grids.top(n));
            NDArray bottomCodes = codes.get(1).toType(DataType.INT64, false).reshape(grids.bottom(n));
            NDArray reconstruction = net.decodeCodes(store(scope), topCodes, bottomCodes).clip(0, 1);
            float[] mse = reconstruction.sub(x).square().reshape(n, -1).mean(new int[] {1}).toFloatArray();
            float[] topNll = GatedPixelCnn.negativeLogLikelihood(
                    top.forward(store(scope), new NDList(topCodes), false).singletonOrThrow(), topCodes).toFloatArray();
            float[] bottomNll = GatedPixelCnn.negativeLogLikelihood(
                    bottom.forward(store(scope), new NDList(bottomCodes, topCodes), false).singletonOrThrow(), bottomCodes)
                    .toFloatArray();
            List<Score> all = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                Map<String, Double> levels = new LinkedHashMap<>();
                levels.put(PriorArchitectures.TOP, (double) topNll[i]);
                levels.put(PriorArchitectures.BOTTOM, (double) bottomNll[i]);
                all.add(new CodeLikelihood(levels, (double) topNll[i] + bottomNll[i], mse[i]));
            }
            return slices(all, counts);
        });
    }
}
