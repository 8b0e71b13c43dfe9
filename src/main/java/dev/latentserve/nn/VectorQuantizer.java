package dev.latentserve.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.util.PairList;
import java.util.SplittableRandom;

/**
 * Vector quantisation of VQ-VAE (van den Oord et al. 2017): every D-vector of the encoder output z_e is
 * replaced by its nearest codebook vector e_k, with the straight-through estimator
 * {@code z_q = z_e + sg(e_k - z_e)} so the decoder's gradient reaches the encoder unchanged.
 *
 * <p>Two ways to learn the codebook: the codebook loss {@code ||sg(z_e) - e||^2} (the codebook is a trainable
 * parameter), or exponential moving averages (appendix A.1 of the paper): {@code N_i <- g N_i + (1-g) n_i},
 * {@code m_i <- g m_i + (1-g) sum of z_e assigned to i}, {@code e_i = m_i / N~_i} with Laplace-smoothed counts.
 * In EMA mode the codebook and both averages are non-trainable parameters (RUNNING_MEAN / RUNNING_VAR), so they
 * are saved and loaded with the model and a trainer never updates them by gradient.
 *
 * <p>Forward takes z_e as (N, D, H, W) and returns {@code (zq, codes, commitmentLoss, codebookLoss, flatZe,
 * oneHot)}: z_q with the straight-through gradient, codes (N, H, W) as int64, the two mean-squared losses, and
 * the flattened (N*H*W, D) encoder outputs and (N*H*W, K) assignments that {@link #emaUpdate} takes; callers name
 * them once with {@link Output#of}.
 */
public final class VectorQuantizer extends AbstractBlock {

    private static final byte VERSION = 1;

    /**
     * The six outputs of {@link VectorQuantizer#forward} by name.
     *
     * @param quantized z_q (N, D, H, W) with the straight-through gradient
     * @param codes the chosen codes (N, H, W), int64
     * @param commitment the commitment loss, a scalar: mean over all elements of (z_e - sg(z_q))^2
     * @param codebookLoss the codebook loss, a scalar: mean of (sg(z_e) - z_q)^2
     * @param encoderOutput z_e flattened to (N*H*W, D), detached: what {@link #update} moves codes towards
     * @param oneHot the assignments (N*H*W, K) as floats
     */
    public record Output(NDArray quantized, NDArray codes, NDArray commitment, NDArray codebookLoss, NDArray encoderOutput,
            NDArray oneHot) {

        /** How many arrays a quantiser's forward pass returns. */
        public static final int SIZE = 6;

        /** Names the outputs of a quantiser's forward pass. */
        public static Output of(NDList output) {
            return of(output, 0);
        }

        /** Names the {@link #SIZE} outputs of a quantiser that a block's forward pass returns from index {@code from} on. */
        public static Output of(NDList outputs, int from) {
            return new Output(outputs.get(from), outputs.get(from + 1), outputs.get(from + 2), outputs.get(from + 3),
                    outputs.get(from + 4), outputs.get(from + 5));
        }
    }

    private final int codes;
    private final int dimension;
    private final boolean ema;
    private final Parameter codebook;
    private final Parameter clusterSize;
    private final Parameter embeddingSum;

    public VectorQuantizer(int codes, int dimension, boolean ema) {
        super(VERSION);
        this.codes = codes;
        this.dimension = dimension;
        this.ema = ema;
        this.codebook = addParameter(Parameter.builder()
                .setName("codebook")
                .setType(ema ? Parameter.Type.RUNNING_MEAN : Parameter.Type.WEIGHT)
                .optShape(new Shape(codes, dimension))
                .optInitializer(new NormalInitializer(1f))
                .optRequiresGrad(!ema)
                .build());
        this.clusterSize = addParameter(Parameter.builder()
                .setName("emaClusterSize")
                .setType(Parameter.Type.RUNNING_VAR)
                .optShape(new Shape(codes))
                .optInitializer((manager, shape, type) -> manager.zeros(shape, type))
                .optRequiresGrad(false)
                .build());
        this.embeddingSum = addParameter(Parameter.builder()
                .setName("emaEmbeddingSum")
                .setType(Parameter.Type.RUNNING_MEAN)
                .optShape(new Shape(codes, dimension))
                .optInitializer(new NormalInitializer(1f))
                .optRequiresGrad(false)
                .build());
    }

    public int codes() {
        return codes;
    }

    public int dimension() {
        return dimension;
    }

    public boolean isEma() {
        return ema;
    }

    /** The codebook array (K, D). */
    public NDArray codebook() {
        return codebook.getArray();
    }

    /** Sets the codebook (and the EMA sums, so that e = m / N holds with counts of one). */
    public void setCodebook(float[] values) {
        codebook.getArray().set(java.nio.FloatBuffer.wrap(values));
        embeddingSum.getArray().set(java.nio.FloatBuffer.wrap(values));
        float[] ones = new float[codes];
        java.util.Arrays.fill(ones, 1f);
        clusterSize.getArray().set(java.nio.FloatBuffer.wrap(ones));
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray ze = inputs.singletonOrThrow();
        NDArray e = Scoped.local(store.getValue(codebook, ze.getDevice(), training), ze.getManager());
        Shape shape = ze.getShape();
        long n = shape.get(0);
        long h = shape.get(2);
        long w = shape.get(3);
        NDArray flat = ze.transpose(0, 2, 3, 1).reshape(-1, dimension);
        NDArray assigned = nearest(flat, e);
        NDArray oneHot = assigned.oneHot(codes).toType(flat.getDataType(), false);
        NDArray quantizedFlat = oneHot.matMul(e);
        NDArray quantized = quantizedFlat.reshape(n, h, w, dimension).transpose(0, 3, 1, 2);
        NDArray commitment = ze.sub(quantized.stopGradient()).square().mean();
        NDArray codebookLoss = ze.stopGradient().sub(quantized).square().mean();
        NDArray straightThrough = ze.add(quantized.sub(ze).stopGradient());
        return new NDList(straightThrough, assigned.reshape(n, h, w), commitment, codebookLoss, flat.stopGradient(), oneHot);
    }

    /** Index of the nearest codebook row for each row of {@code flat}: argmin |x|^2 - 2 x.e + |e|^2. */
    static NDArray nearest(NDArray flat, NDArray codebook) {
        NDArray distances = flat.square().sum(new int[] {1}, true)
                .sub(flat.matMul(codebook.transpose()).mul(2))
                .add(codebook.square().sum(new int[] {1}).reshape(1, -1));
        return distances.argMin(1);
    }

    /** Codes for encoder outputs (N, D, H, W) without building the rest of the forward pass. */
    public NDArray encode(NDArray ze) {
        Shape shape = ze.getShape();
        NDArray flat = ze.transpose(0, 2, 3, 1).reshape(-1, dimension);
        return nearest(flat, Scoped.local(codebook.getArray(), ze.getManager())).reshape(shape.get(0), shape.get(2), shape.get(3));
    }

    /** Codebook vectors for integer codes (N, H, W), as (N, D, H, W). */
    public NDArray lookup(NDArray codesArray) {
        Shape shape = codesArray.getShape();
        NDArray oneHot = codesArray.reshape(-1).oneHot(codes).toType(codebook.getArray().getDataType(), false);
        return oneHot.matMul(Scoped.local(codebook.getArray(), codesArray.getManager())).reshape(shape.get(0), shape.get(1), shape.get(2), dimension)
                .transpose(0, 3, 1, 2);
    }

    /**
     * One EMA step of the codebook from a batch's assignments; call outside the gradient collector.
     *
     * @param flat encoder outputs (M, D), detached
     * @param oneHot their assignments (M, K)
     */
    public void emaUpdate(NDArray flat, NDArray oneHot, float decay, float epsilon) {
        NDArray size = clusterSize.getArray();
        NDArray sum = embeddingSum.getArray();
        try (NDManager scratch = size.getManager().newSubManager()) {
            NDArray counts = scratch.create(1f - decay).mul(oneHot.sum(new int[] {0}));
            size.muli(decay).addi(counts);
            NDArray sums = scratch.create(1f - decay).mul(oneHot.transpose().matMul(flat));
            sum.muli(decay).addi(sums);
            NDArray total = scratch.create(0f).add(size).sum();
            NDArray smoothed = scratch.create(0f).add(size).add(epsilon).div(total.add(codes * epsilon)).mul(total);
            codebook.getArray().set(new NDIndex(":"), scratch.create(0f).add(sum).div(smoothed.reshape(-1, 1)));
        }
    }

    /**
     * Everything the codebook does after an optimiser step: the EMA update (or, with the codebook loss, only the moving
     * average of usage), then restarts of dead codes.
     *
     * @return how many codes were restarted
     */
    public int update(NDArray flat, NDArray oneHot, float decay, float epsilon, float deadCodeThreshold, SplittableRandom random) {
        if (ema) {
            emaUpdate(flat, oneHot, decay, epsilon);
        } else {
            trackUsage(oneHot, decay);
        }
        return restartDeadCodes(flat, deadCodeThreshold, random);
    }

    /**
     * Updates only the EMA of code usage, for the codebook-loss mode, where it serves to find dead codes.
     */
    public void trackUsage(NDArray oneHot, float decay) {
        NDArray size = clusterSize.getArray();
        try (NDManager scratch = size.getManager().newSubManager()) {
            size.muli(decay).addi(scratch.create(1f - decay).mul(oneHot.sum(new int[] {0})));
        }
    }

    /**
     * Restarts codes whose EMA count fell below {@code threshold} at random encoder outputs of the batch,
     * so that no part of the codebook stays unused.
     *
     * @return how many codes were restarted
     */
    public int restartDeadCodes(NDArray flat, float threshold, SplittableRandom random) {
        float[] sizes = clusterSize.getArray().toFloatArray();
        long rows = flat.getShape().get(0);
        int restarted = 0;
        for (int k = 0; k < codes; k++) {
            if (sizes[k] < threshold) {
                long row = random.nextLong(rows);
                try (NDArray vector = flat.get(row).duplicate()) {
                    codebook.getArray().set(new NDIndex("{}", k), vector);
                    embeddingSum.getArray().set(new NDIndex("{}", k), vector);
                }
                clusterSize.getArray().set(new NDIndex("{}", k), 1f);
                restarted++;
            }
        }
        return restarted;
    }

    /** exp(-sum p log p) of the code frequencies in a batch: K when all codes are used equally, 1 when one is. */
    public static double perplexity(NDArray oneHot) {
        float[] p = oneHot.mean(new int[] {0}).toFloatArray();
        double entropy = 0;
        for (float v : p) {
            if (v > 0) {
                entropy -= v * Math.log(v);
            }
        }
        return Math.exp(entropy);
    }

    /** How many codes occur in a batch's assignments. */
    public static int usedCodes(NDArray oneHot) {
        float[] counts = oneHot.sum(new int[] {0}).toFloatArray();
        int used = 0;
        for (float c : counts) {
            if (c > 0) {
                used++;
            }
        }
        return used;
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputs) {
        Shape in = inputs[0];
        long m = in.get(0) * in.get(2) * in.get(3);
        return new Shape[] {in, new Shape(in.get(0), in.get(2), in.get(3)), new Shape(), new Shape(), new Shape(m, dimension),
                new Shape(m, codes)};
    }

    @Override
    protected void prepare(Shape[] inputs) {
        // Parameter shapes are fixed at construction.
    }

    @Override
    public void initialize(NDManager manager, DataType dataType, Shape... inputShapes) {
        super.initialize(manager, dataType, inputShapes);
        // EMA sums start equal to the codebook with zero counts, as in the paper's reference implementation.
        embeddingSum.getArray().set(java.nio.FloatBuffer.wrap(codebook.getArray().toFloatArray()));
    }
}
