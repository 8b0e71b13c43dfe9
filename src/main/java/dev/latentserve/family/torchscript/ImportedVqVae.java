package dev.latentserve.family.torchscript;

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
import dev.latentserve.family.QuantizedInterpolating;
import dev.latentserve.family.PriorSampler;
import dev.latentserve.family.RasterSampling;
import dev.latentserve.family.ServedModel;
import dev.latentserve.image.ImageShape;
import dev.latentserve.nn.GatedPixelCnn;
import dev.latentserve.nn.VectorQuantizer;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.jspecify.annotations.Nullable;

/**
 * An imported VQ-VAE held for serving: TorchScript encoder and decoder around the codebook of {@code codebook.npy}.
 * Encoding quantises z_e to the nearest code of each grid position (squared Euclidean distance, the lowest index on a
 * tie); decoding looks the codes up in the codebook and runs the decoder on the vectors; sampling draws code grids from
 * the fitted gated PixelCNN prior in raster order, as a trained VQ-VAE does.
 */
final class ImportedVqVae extends ServedModel implements QuantizedInterpolating, Completing {

    /** The one level's name, for {@link SampleOptions#temperature(String)}: the request's temperature applies. */
    private static final String LEVEL = "codes";

    private final Descriptor descriptor;
    private final TorchScriptModule encoder;
    private final TorchScriptModule decoder;
    private final VectorQuantizer quantizer;
    private final @Nullable Model prior;
    private final @Nullable PriorSampler sampler;
    private final PixelSpace pixels;
    private final int gridHeight;
    private final int gridWidth;

    /**
     * @param quantizer the codebook, its arrays owned by the encoder's model
     * @param prior the fitted prior's model, or null before a prior is fitted
     * @param incremental whether to sample incrementally ({@link PriorSampler}) or by the full pass
     */
    ImportedVqVae(Descriptor descriptor, TorchScriptModule encoder, TorchScriptModule decoder, VectorQuantizer quantizer,
            @Nullable Model prior, boolean incremental) {
        super(encoder.model(), decoder.model(), prior);
        this.descriptor = descriptor;
        this.encoder = encoder;
        this.decoder = decoder;
        this.quantizer = quantizer;
        this.prior = prior;
        this.sampler = prior == null ? null : new PriorSampler(this, (GatedPixelCnn) prior.getBlock(), incremental);
        this.pixels = new PixelSpace(descriptor);
        this.gridHeight = descriptor.latentShape().get(0);
        this.gridWidth = descriptor.latentShape().get(1);
    }

    @Override
    public ImageShape shape() {
        return descriptor.inputShape();
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

    /** Ancestral sampling in raster order ({@link RasterSampling}), the prior run on the rows drawn so far. */
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
                quantizer.codes(), fixed, sampler.logits(n, gridHeight, gridWidth));
    }

    private float[][] decodeGrid(long[] grid, int n) {
        return run(scope -> rows(decodeToPixels(quantizer.lookup(scope.create(grid, new Shape(n, gridHeight, gridWidth))), n), n));
    }

    /**
     * The image's codes kept where their footprint is known, the others drawn in raster order; see {@link Completing}. The
     * imported encoder's downsampling factor is taken as image side / grid side, rounded up (the larger of the two axes),
     * so that a code is kept only when at least its share of the image is known.
     */
    @Override
    public List<Completed> complete(List<CompleteCall> calls) {
        List<SampleOptions> requests = calls.stream().map(CompleteCall::options).toList();
        requests.forEach(this::checkSample);
        int[] counts = requests.stream().mapToInt(SampleOptions::count).toArray();
        int n = IntStream.of(counts).sum();
        float[][] originals = calls.stream().map(CompleteCall::image).toArray(float[][]::new);
        long[] encoded = run(scope -> quantizer.encode(encoderOutputs(scope, batch(scope, originals), originals.length))
                .toType(DataType.INT64, false).toLongArray());
        int factor = Math.max(Math.ceilDiv(shape().height(), gridHeight), Math.ceilDiv(shape().width(), gridWidth));
        Completing.Footprint footprint = new Completing.Footprint(factor, 0, 0);
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
            return slices(rows(decodeToPixels(all, n), n), counts);
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

    /** Pixels decoded from the nearest codes of the input, their mean squared error against it, and the codes. */
    @Override
    public List<List<Reconstruction>> reconstruct(List<ReconstructCall> requests) {
        int[] counts = requests.stream().mapToInt(call -> call.images().length).toArray();
        float[][] images = concat(requests.stream().map(ReconstructCall::images).toList());
        int n = images.length;
        return run(scope -> {
            NDArray x = batch(scope, images);
            NDArray codes = quantizer.encode(encoderOutputs(scope, x, n));
            NDArray reconstruction = decodeToPixels(quantizer.lookup(codes), n);
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

    /** z_e (n, D, h, w) of pixels (n, C, H, W). */
    NDArray encoderOutputs(NDManager scope, NDArray pixelBatch, int n) {
        return Answers.encoderOutputs(descriptor, quantizer.dimension(), encoder.forward(scope, pixels.normalise(pixelBatch)), n);
    }

    /** The codes (n, h, w) as int64 of pixels (n, C, H, W). */
    NDArray codes(NDManager scope, NDArray pixelBatch) {
        long n = pixelBatch.getShape().get(0);
        return quantizer.encode(encoderOutputs(scope, pixelBatch, (int) n));
    }

    /** Pixels for quantised vectors (n, D, h, w). */
    private NDArray decodeToPixels(NDArray quantized, int n) {
        return pixels.pixels(Answers.decoded(descriptor, decoder.forward(quantized.getManager(), quantized), n));
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

    private int[][][] grids(NDArray codes, int n) {
        return RasterSampling.grids(codes.toType(DataType.INT64, false).toLongArray(), n, gridHeight, gridWidth);
    }
}
