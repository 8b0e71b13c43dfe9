package dev.latentserve.family.vqvae2;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.latentserve.family.CodeGridChecks;
import dev.latentserve.family.InvalidInferenceInputException;
import dev.latentserve.family.InvalidInferenceInputException.Kind;
import dev.latentserve.family.NoPriorException;
import dev.latentserve.family.RasterSampling;
import dev.latentserve.family.ServedModel;
import dev.latentserve.family.vqvae2.VqVae2Family.Grids;
import dev.latentserve.image.ImageShape;
import dev.latentserve.nn.GatedPixelCnn;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.jspecify.annotations.Nullable;

/**
 * A trained VQ-VAE-2 held for serving: images to top and bottom code grids and back, and sampling from the two
 * priors, the top map first, then the bottom map given it. Every call runs in its own child NDManager. Decoded
 * images are cropped to the input size and clamped to [0, 1].
 */
final class VqVae2Model extends ServedModel {

    private static final List<String> LEVELS = List.of(PriorArchitectures.TOP, PriorArchitectures.BOTTOM);

    private final VqVae2 net;
    private final @Nullable Model topPrior;
    private final @Nullable Model bottomPrior;
    private final Grids grids;

    VqVae2Model(Model model, VqVae2 net, @Nullable Model topPrior, @Nullable Model bottomPrior) {
        super(model, topPrior, bottomPrior);
        this.net = net;
        this.topPrior = topPrior;
        this.bottomPrior = bottomPrior;
        this.grids = new Grids(net.architecture(), net.imageShape());
    }

    @Override
    public ImageShape shape() {
        return net.imageShape();
    }

    @Override
    public List<String> levels() {
        return LEVELS;
    }

    @Override
    public int samplingPasses() {
        return grids.topCells() + grids.bottomCells();
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
    public void checkDecode(DecodeInput input) {
        if (input.levels() == null) {
            throw new InvalidInferenceInputException(Kind.INVALID_LATENT, "a VQ-VAE-2 decodes both levels' code grids: send "
                    + "{\"codes\": {\"top\": [" + grids.topHeight() + "x" + grids.topWidth() + " grid, ...], \"bottom\": ["
                    + grids.bottomHeight() + "x" + grids.bottomWidth() + " grid, ...]}}");
        }
        flatten(input.levels());
    }

    /**
     * Top codes from the top prior in raster order, then bottom codes from the bottom prior conditioned on them; each
     * request draws both from one generator seeded by its seed, so its samples do not depend on the batch.
     */
    @Override
    public List<Sampled> sample(List<SampleOptions> requests) {
        requests.forEach(this::checkSample);
        GatedPixelCnn top = (GatedPixelCnn) topPrior.getBlock();
        ConditionalPixelCnn bottom = (ConditionalPixelCnn) bottomPrior.getBlock();
        int[] counts = requests.stream().mapToInt(SampleOptions::count).toArray();
        int n = IntStream.of(counts).sum();
        SplittableRandom[] randoms = RasterSampling.generators(requests);
        VqVae2Architecture architecture = net.architecture();
        long[] topCodes = RasterSampling.draw(requests, PriorArchitectures.TOP, randoms, grids.topHeight(), grids.topWidth(),
                architecture.topCodes(), (maps, row, column) -> run(scope -> {
                    NDArray rows = scope.create(maps, grids.top(n)).get(new NDIndex(":, 0:{}, :", row + 1));
                    return at(top.forward(store(scope), new NDList(rows), false).singletonOrThrow(), row, column);
                }));
        long[] bottomCodes = RasterSampling.draw(requests, PriorArchitectures.BOTTOM, randoms, grids.bottomHeight(),
                grids.bottomWidth(), architecture.bottomCodes(), (maps, row, column) -> run(scope -> {
                    NDArray rows = scope.create(maps, grids.bottom(n)).get(new NDIndex(":, 0:{}, :", row + 1));
                    NDArray given = scope.create(topCodes, grids.top(n));
                    return at(bottom.forward(store(scope), new NDList(rows, given), false).singletonOrThrow(), row, column);
                }));
        float[][] images = run(scope -> images(scope, topCodes, bottomCodes, n));
        List<float[][]> imageSlices = slices(images, counts);
        List<int[][][]> topSlices = slices(RasterSampling.grids(topCodes, n, grids.topHeight(), grids.topWidth()), counts);
        List<int[][][]> bottomSlices = slices(RasterSampling.grids(bottomCodes, n, grids.bottomHeight(), grids.bottomWidth()), counts);
        List<Sampled> result = new ArrayList<>(requests.size());
        for (int r = 0; r < requests.size(); r++) {
            result.add(new Sampled(imageSlices.get(r), null, null, new LevelCodes(topSlices.get(r), bottomSlices.get(r))));
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
        LevelCodes codes = run(scope -> levelCodes(net.encodeCodes(store(scope), batch(scope, images)), images.length));
        List<int[][][]> top = slices(codes.top(), counts);
        List<int[][][]> bottom = slices(codes.bottom(), counts);
        List<Encoded> result = new ArrayList<>(requests.size());
        for (int r = 0; r < requests.size(); r++) {
            result.add(new Encoded(null, null, null, new LevelCodes(top.get(r), bottom.get(r))));
        }
        return result;
    }

    @Override
    public List<float[][]> decode(List<DecodeInput> inputs) {
        int[] counts = inputs.stream().mapToInt(DecodeInput::count).toArray();
        int n = IntStream.of(counts).sum();
        long[] top = new long[n * grids.topCells()];
        long[] bottom = new long[n * grids.bottomCells()];
        int at = 0;
        for (DecodeInput input : inputs) {
            long[][] flat = flatten(input.levels());
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
            LevelCodes levels = levelCodes(codes, n);
            List<Reconstruction> all = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                all.add(new Reconstruction(pixels[i], mse[i], null, null, levels.image(i)));
            }
            return slices(all, counts);
        });
    }

    private float[][] images(NDManager scope, long[] top, long[] bottom, int n) {
        NDArray decoded = net.decodeCodes(store(scope), scope.create(top, grids.top(n)), scope.create(bottom, grids.bottom(n)));
        return rows(decoded.clip(0, 1), n);
    }

    private LevelCodes levelCodes(NDList codes, int n) {
        return new LevelCodes(
                RasterSampling.grids(codes.get(0).toType(DataType.INT64, false).toLongArray(), n, grids.topHeight(), grids.topWidth()),
                RasterSampling.grids(codes.get(1).toType(DataType.INT64, false).toLongArray(), n, grids.bottomHeight(),
                        grids.bottomWidth()));
    }

    /** Both levels' grids checked (same number of images, grid sizes, codes in range) and flattened. */
    private long[][] flatten(LevelCodes levels) {
        if (levels.top().length != levels.bottom().length) {
            throw new InvalidInferenceInputException(Kind.INVALID_LATENT, "codes.top holds " + levels.top().length
                    + " grids but codes.bottom " + levels.bottom().length + "; send one of each per image");
        }
        VqVae2Architecture architecture = net.architecture();
        return new long[][] {
                CodeGridChecks.flatten(Arrays.asList(levels.top()), grids.topHeight(), grids.topWidth(), architecture.topCodes(),
                        i -> "codes.top[" + i + "]", "top "),
                CodeGridChecks.flatten(Arrays.asList(levels.bottom()), grids.bottomHeight(), grids.bottomWidth(),
                        architecture.bottomCodes(), i -> "codes.bottom[" + i + "]", "bottom ")};
    }
}
